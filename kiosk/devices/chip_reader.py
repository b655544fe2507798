"""The terminal's APDU sequence for the resident ID card (docs/card.md).

SELECT the application, READ BINARY every file by its short EF identifier (no
SELECT FILE per file), then INTERNAL AUTHENTICATE over a fresh challenge. With
extended length that is 6 APDUs in all; each one is a round trip through
pcscd and the reader, so their number, not the bytes, sets the read time.

Verification is not done here: the reader hands ``ChipRead`` to
``kiosk.identity``, which judges the files and the chip's signature.
"""

from __future__ import annotations

import os
import time
from typing import Final

from kiosk.devices.apdu import (
    INS_INTERNAL_AUTHENTICATE,
    INS_READ_BINARY,
    INS_READ_BINARY_ODD,
    INS_SELECT,
    MAX_EXTENDED_NE,
    MAX_SHORT_NE,
    SW_END_OF_FILE,
    SW_INS_UNKNOWN,
    SW_OK,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    ApduError,
    CardChannel,
    Command,
    malformed,
)
from kiosk.devices.base import DeviceError
from kiosk.identity.chip import AID, CHALLENGE_LENGTH, FILES, ChipFile, ChipRead

READ_OK: Final = (SW_OK, SW_END_OF_FILE, SW_WRONG_P1P2)
# Offsets in P1-P2 of READ BINARY (B0) have 15 bits; beyond them the odd
# instruction B1 carries the offset in a data object (tag 54).
MAX_B0_OFFSET: Final = 0x7FFF
# B1 answers are wrapped in tag 53 (3 header bytes for up to 255 bytes).
B1_CHUNK: Final = MAX_SHORT_NE - 3
# Refusing an extended READ BINARY: wrong length, or an unknown instruction
# encoding from cards that only parse short APDUs.
EXTENDED_REFUSED: Final = (SW_WRONG_LENGTH, SW_INS_UNKNOWN, 0x6E00, 0x6A86)


def read_chip(channel: CardChannel, *, extended: bool | None = None, atr: bytes = b"",
              reader: str = "", challenge: bytes | None = None) -> ChipRead:
    """Read the whole chip over ``channel``; raises only ``DeviceError``.

    ``extended``: True/False if known for this card and reader, None to try
    extended length once and fall back to short APDUs; ``channel.extended``
    holds the outcome for the caller to remember (per ATR).
    """
    start = time.perf_counter()
    if extended is not None and channel.protocol == "T=1":
        channel.extended = extended
    # Every file at its maximum size, plus headroom for status words and the
    # signature: a card sending more is not one of ours.
    channel.max_bytes = min(channel.max_bytes, sum(f.max_size for f in FILES) + 4096)
    files: dict[str, bytes] = {}
    try:
        channel.send(Command(0x00, INS_SELECT, 0x04, 0x0C, AID))
        for chip_file in FILES:
            files[chip_file.name] = _read_file(channel, chip_file)
        nonce = challenge if challenge is not None else os.urandom(CHALLENGE_LENGTH)
        answer = channel.send(Command(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, nonce,
                                      ne=MAX_SHORT_NE))
    except DeviceError:
        for name in files:  # half a card's personal data is still personal data
            files[name] = b""
        raise
    return ChipRead(files=files, challenge=nonce, response=answer.data, atr=atr, reader=reader,
                    protocol=channel.protocol, apdus=channel.apdus,
                    seconds=time.perf_counter() - start)


def _read_file(channel: CardChannel, chip_file: ChipFile) -> bytes:
    if channel.extended is not False:
        probing = channel.extended is None
        try:
            data = _read_extended(channel, chip_file)
        except ApduError as e:
            if not probing or e.sw not in EXTENDED_REFUSED:
                raise
        except DeviceError as e:
            # A reader that cannot carry extended APDUs fails the exchange itself.
            if not probing or e.code != "reader_error":
                raise
        else:
            channel.extended = True
            return data
        channel.extended = False
    return _read_short(channel, chip_file)


def _read_extended(channel: CardChannel, chip_file: ChipFile) -> bytes:
    # One APDU for the whole file: Le=0000 asks for up to 65536 bytes and the
    # card answers the file with 6282 (end reached before Le) or 9000.
    answer = channel.send(Command(0x00, INS_READ_BINARY, 0x80 | chip_file.sfi, 0x00,
                                  ne=MAX_EXTENDED_NE, extended=True), accept=READ_OK)
    _check_size(chip_file, len(answer.data))
    return answer.data


def _read_short(channel: CardChannel, chip_file: ChipFile) -> bytes:
    data = bytearray()
    # The first read addresses the file by SFI, which also makes it the current
    # EF, so later reads give a plain offset.
    command = Command(0x00, INS_READ_BINARY, 0x80 | chip_file.sfi, 0x00, ne=MAX_SHORT_NE)
    while True:
        offset = len(data)
        if offset > MAX_B0_OFFSET:
            chunk, sw = _read_odd(channel, offset)
            full = B1_CHUNK
        else:
            if offset:
                command = Command(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF,
                                  ne=MAX_SHORT_NE)
            answer = channel.send(command, accept=READ_OK)
            chunk, sw, full = answer.data, answer.sw, MAX_SHORT_NE
        data += chunk
        _check_size(chip_file, len(data))
        # 6282 / 6B00 or a short chunk: the end of the file.
        if sw != SW_OK or len(chunk) < full:
            return bytes(data)


def _read_odd(channel: CardChannel, offset: int) -> tuple[bytes, int]:
    """READ BINARY B1 on the current EF: offset in tag 54, data back in tag 53."""
    field = offset.to_bytes(3 if offset > 0xFFFF else 2, "big")
    answer = channel.send(Command(0x00, INS_READ_BINARY_ODD, 0x00, 0x00,
                                  bytes((0x54, len(field))) + field, ne=MAX_SHORT_NE),
                          accept=READ_OK)
    if not answer.data:
        return b"", answer.sw
    return _unwrap_53(answer.data), answer.sw


def _unwrap_53(raw: bytes) -> bytes:
    if raw[0] != 0x53 or len(raw) < 2:
        raise malformed("READ BINARY B1 answer is not a tag 53 object")
    length, start = raw[1], 2
    if length == 0x81 and len(raw) >= 3:
        length, start = raw[2], 3
    elif length >= 0x80:
        raise malformed("READ BINARY B1 answer has a bad length")
    if len(raw) != start + length:
        raise malformed("READ BINARY B1 answer length does not match")
    return raw[start:]


def _check_size(chip_file: ChipFile, size: int) -> None:
    if size > chip_file.max_size:
        raise malformed(f"{chip_file.name} is larger than {chip_file.max_size} bytes")
