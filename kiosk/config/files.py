"""Writing a config file so that a crash leaves the old file or the new one.

``write_atomically``: a temporary file in the same directory, fsync,
``os.replace``, fsync of the directory; the mode and owner of the file it
replaces are kept. ``locked``: one writer at a time per directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path

from kiosk.config.errors import ConfigError

NEW_FILE_MODE = 0o600  # it may hold the gateway credential and PIN hashes


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``: all of it or none of it, even across a power
    cut. Keeps the mode and (when allowed) the owner of the file it replaces.
    ConfigError naming the file if it cannot be written; the old file is intact."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        stat = None
    if mode is None:
        mode = stat.st_mode & 0o7777 if stat is not None else NEW_FILE_MODE
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write the file ({e.strerror or e}); it is "
                          "unchanged") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            if stat is not None:
                # /etc/kiosk/terminal.toml is root:kiosk 0640: a copy owned by
                # whoever saved it could leave the kiosk unable to read its config.
                with contextlib.suppress(PermissionError):
                    os.fchown(f.fileno(), stat.st_uid, stat.st_gid)
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        if isinstance(e, OSError):
            raise ConfigError(f"{path}: cannot write the file ({e.strerror or e}); it is "
                              "unchanged") from None
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # The rename is in the directory: without this a power cut can undo it.
    try:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise ConfigError(f"{directory}: the new config file is in place but may not "
                          f"survive a power cut ({e.strerror or e})") from None


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    """One writer at a time of the config in this directory (the screen and a
    shell can both save): a lock on the directory, which needs no lock file.
    Also clears the temporary files of this config that a crash left behind."""
    try:
        fd = os.open(target.parent, os.O_RDONLY)
    except OSError as e:
        raise ConfigError(f"{target.parent}: cannot open the config's directory "
                          f"({e.strerror or e})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Under the lock no write of ours is under way: what is there is debris.
        for stale in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        yield
    finally:
        os.close(fd)  # releases the lock


def real_path(path: str | os.PathLike[str]) -> Path:
    # Through a symlink to the real file, so the link stays a link.
    return Path(path).expanduser().resolve()


def read_bytes(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(f"{target}: cannot read the file ({e.strerror or e})") from None


def file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return NEW_FILE_MODE
