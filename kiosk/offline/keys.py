"""The terminal's data key: 32 random bytes in a file only its owner can read.

Created at first start. A key file others can read is refused rather than used:
a stolen disk with a readable key next to the data would reveal everything.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32


class KeyFileError(Exception):
    """The key file is unsafe or damaged; the message says what to do."""


def load_or_create_key(path: Path) -> bytes:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: readable by others (mode {stat.filemode(mode)}); "
                           "run chmod 600 on it")
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{path}: {len(key)} bytes, not {KEY_BYTES}; the key is damaged "
                           "and what it sealed cannot be read")
    return key
