"""Where a terminal keeps its state, and which config file it reads.

Everything a terminal writes (databases, outbox, keys, logs, the simulators'
printouts) lives under one data directory, so two runs with different
``KIOSK_HOME`` never touch each other's state.

The config file is the one given (``--config`` or ``$KIOSK_CONFIG``), else
``terminal.toml`` in the data directory when there is one: a kiosk started
without a config (the demo) that saves settings from its screen writes that
file, and finds them there at its next start.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "KIOSK_HOME"
ENV_CONFIG = "KIOSK_CONFIG"
DEFAULT_HOME = Path("~/.local/share/kiosk")
CONFIG_NAME = "terminal.toml"


def data_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``$KIOSK_HOME``, else the configured one, else the default.

    The environment wins so a test or a second demo can run beside a configured
    terminal without editing its file.
    """
    chosen = os.environ.get(ENV_HOME) or configured or DEFAULT_HOME
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_config_path() -> Path:
    """``terminal.toml`` in the data directory a kiosk without a config uses: where
    settings saved from the screen go when no file was given. Creates nothing."""
    home = os.environ.get(ENV_HOME) or DEFAULT_HOME
    return Path(home).expanduser().resolve() / CONFIG_NAME


def config_path(given: str | os.PathLike[str] | None) -> Path | None:
    """The config file to read: ``given`` (``--config``), else ``$KIOSK_CONFIG``,
    else the data directory's ``terminal.toml`` if it exists; None for the
    built-in defaults. A file given but missing is returned as is, so that
    loading it fails naming it, rather than silently falling back to defaults."""
    chosen = given or os.environ.get(ENV_CONFIG)
    if chosen:
        return Path(chosen)
    found = default_config_path()
    return found if found.is_file() else None
