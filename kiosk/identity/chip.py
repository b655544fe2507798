"""The chip layout of the resident ID card: what is on it, and what a read yields.

The layout is specified in docs/card.md. This module is the one place that
names the application, its files and the data a reader hands to verification,
so the card side (personalisation, the virtual card) and the terminal side
(the reader's APDU sequence, verification) cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Proprietary application identifier (ISO 7816-5 category F: not registered).
AID: Final = bytes.fromhex("F04D4F5245534944")  # F0 "MORESID"


@dataclass(frozen=True)
class ChipFile:
    name: str
    fid: int  # 2-byte file identifier, for SELECT
    sfi: int  # short EF identifier (1..30), for READ BINARY without SELECT
    max_size: int  # a file longer than this is a defective card


IDENTITY = ChipFile("identity", 0x0101, 1, 2048)
PHOTO = ChipFile("photo", 0x0102, 2, 40 * 1024)
CHIP_KEY = ChipFile("chip_key", 0x0103, 3, 1024)  # public key for active authentication
SECURITY = ChipFile("security", 0x011D, 29, 8192)  # hashes of the others, signed

FILES: Final = (IDENTITY, PHOTO, CHIP_KEY, SECURITY)
# Files whose hashes the security object must cover.
HASHED: Final = (IDENTITY, PHOTO, CHIP_KEY)
CHALLENGE_LENGTH: Final = 16


@dataclass
class ChipRead:
    """Everything a reader got from one card, for verification to judge.

    ``files`` by ``ChipFile.name``; ``challenge`` is the terminal's fresh random
    challenge and ``response`` the chip's signature over it (active
    authentication). The rest describes the read, for technicians and benchmarks.
    """

    files: dict[str, bytes] = field(repr=False)
    challenge: bytes = b""
    response: bytes = field(default=b"", repr=False)
    atr: bytes = b""
    reader: str = ""
    protocol: str = ""  # "T=0" or "T=1"
    apdus: int = 0
    seconds: float = 0.0

    def wipe(self) -> None:
        for name in list(self.files):
            self.files[name] = b""
        self.files.clear()
        self.response = b""
