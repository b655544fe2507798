import logging
from importlib import metadata

# A library stays quiet until the application configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def package_version(name: str = "kiosk") -> str | None:
    """The installed version of distribution ``name``; None if it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
