"""The card side: an APDU processor that behaves like one issued ID card.

It answers what the terminal's read sequence sends (SELECT, READ BINARY,
INTERNAL AUTHENTICATE, GET RESPONSE) the way a real chip would, including the
T=0 habits (61xx / 6Cxx) and a card without extended length, so the reader's
code is exercised against every path. The simulator calls ``process``
directly; ``kiosk.devices.vpcd`` puts it behind pcscd's virtual reader.
"""

from __future__ import annotations

import threading
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kiosk.devices.apdu import (
    INS_GET_RESPONSE,
    INS_INTERNAL_AUTHENTICATE,
    INS_READ_BINARY,
    INS_READ_BINARY_ODD,
    INS_SELECT,
    MAX_SHORT_NE,
    SW_CLA_UNKNOWN,
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_INS_UNKNOWN,
    SW_NOT_SELECTED,
    SW_OK,
    SW_TECHNICAL,
    SW_WRONG_DATA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Command,
)
from kiosk.identity.chip import AID, FILES, ChipFile
from kiosk.identity.profile import CardProfile

SW_NO_CURRENT_EF: Final = 0x6986
SW_BAD_P1P2: Final = 0x6A86
CARD_NAME: Final = b"MORESID"


class CardPulled(Exception):
    """The card left the reader while it was working on an APDU."""


def default_atr(protocol: str, extended_length: bool) -> bytes:
    """An ATR for ``protocol`` whose historical bytes name the card.

    Historical bytes (ISO 7816-4 §8.1.1): category 80, then compact TLV:
    issuer data "MORESID" and card capabilities (73), whose third byte says
    whether the card takes extended Lc/Le (bit 0x40).
    """
    capabilities = bytes((0x73, 0x80, 0x01, 0x40 if extended_length else 0x00))
    historical = b"\x80" + bytes((0x50 | len(CARD_NAME),)) + CARD_NAME + capabilities
    if protocol == "T=0":
        # No interface bytes: T=0 is implied, and T=0 alone has no check byte.
        return bytes((0x3B, len(historical))) + historical
    # TD1 = 01: T=1 offered, no further interface bytes; TCK is then mandatory.
    body = bytes((0x80 | len(historical), 0x01)) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


class VirtualCard:
    """One card's chip, from a ``CardProfile``.

    Test hooks: ``apdu_delay_s`` makes every APDU take that long (interrupted by
    ``pull()``, which then raises ``CardPulled``); ``fail_after`` makes every
    APDU after the first N answer 6F00.
    """

    def __init__(self, profile: CardProfile, *, apdu_delay_s: float = 0.0,
                 fail_after: int | None = None) -> None:
        self.profile = profile
        self.apdu_delay_s = apdu_delay_s
        self.fail_after = fail_after
        self.atr = profile.atr or default_atr(profile.protocol, profile.extended_length)
        self._t0 = profile.protocol == "T=0"
        try:
            key = serialization.load_pem_private_key(profile.chip_private_key_pem, None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = None  # a defective card: it answers INTERNAL AUTHENTICATE with 6F00
        self._key = key if isinstance(key, ec.EllipticCurvePrivateKey) else None
        self._pulled = threading.Event()
        self._count = threading.Condition()
        self.apdus = 0
        self.reset()

    # ----------------------------------------------------------------- life cycle

    def reset(self) -> None:
        """Power on, off or reset: the chip forgets its selection."""
        self._app_selected = False
        self._current: ChipFile | None = None
        self._pending = b""

    def pull(self) -> None:
        """The card is pulled: an APDU in progress ends with ``CardPulled``."""
        self._pulled.set()

    def push(self) -> None:
        """The card is (re)inserted: powered afresh."""
        self._pulled.clear()
        self.reset()

    def wait_apdus(self, n: int, timeout: float) -> bool:
        """Wait until the card has received at least ``n`` APDUs in all."""
        with self._count:
            return self._count.wait_for(lambda: self.apdus >= n, timeout)

    # ----------------------------------------------------------------- APDUs

    def process(self, apdu: bytes) -> bytes:
        with self._count:
            self.apdus += 1
            count = self.apdus
            self._count.notify_all()
        if self._pulled.is_set() or (
                self.apdu_delay_s and self._pulled.wait(self.apdu_delay_s)):
            raise CardPulled
        if self.fail_after is not None and count > self.fail_after:
            return SW_TECHNICAL.to_bytes(2, "big")
        data, sw = self._dispatch(apdu)
        return data + sw.to_bytes(2, "big")

    def _dispatch(self, apdu: bytes) -> tuple[bytes, int]:
        try:
            cmd = Command.decode(apdu)
        except ValueError:
            return b"", SW_WRONG_LENGTH
        if cmd.cla & 0xFC:
            return b"", SW_CLA_UNKNOWN
        if cmd.ins != INS_GET_RESPONSE:
            self._pending = b""  # a new command discards an answer not fetched
        if cmd.is_extended and (self._t0 or not self.profile.extended_length):
            return b"", SW_WRONG_LENGTH
        handler = {
            INS_SELECT: self._select,
            INS_READ_BINARY: self._read_binary,
            INS_READ_BINARY_ODD: self._read_binary_odd,
            INS_INTERNAL_AUTHENTICATE: self._internal_authenticate,
            INS_GET_RESPONSE: self._get_response,
        }.get(cmd.ins)
        if handler is None:
            return b"", SW_INS_UNKNOWN
        return handler(cmd)

    def _answer(self, cmd: Command, data: bytes, sw: int = SW_OK) -> tuple[bytes, int]:
        """Answer data the way the protocol allows: on T=0 a command that sent
        data (case 3/4) cannot get data back at once, so the card says 61xx and
        waits for GET RESPONSE; so does a command that gave no Le."""
        if data and (cmd.ne is None or (self._t0 and cmd.data)):
            self._pending = data
            return b"", 0x6100 | (min(len(data), MAX_SHORT_NE) & 0xFF)
        return data, sw

    def _file(self, chip_file: ChipFile | None) -> bytes | None:
        if chip_file is None:
            return None
        return self.profile.files.get(chip_file.name)

    def _select(self, cmd: Command) -> tuple[bytes, int]:
        fci = cmd.p2 & 0x0C != 0x0C  # P2=0C: no response data wanted
        if cmd.p1 == 0x04:
            if cmd.data != AID:
                return b"", SW_FILE_NOT_FOUND
            self._app_selected, self._current = True, None
            body = bytes((0x84, len(AID))) + AID
            return self._answer(cmd, bytes((0x6F, len(body))) + body) if fci else (b"", SW_OK)
        if cmd.p1 in (0x00, 0x02):
            found = next((f for f in FILES if f.fid.to_bytes(2, "big") == cmd.data), None)
            content = self._file(found) if self._app_selected else None
            if content is None:
                return b"", SW_FILE_NOT_FOUND
            self._current = found
            body = b"\x80\x02" + len(content).to_bytes(2, "big") + b"\x83\x02" + cmd.data
            return self._answer(cmd, bytes((0x62, len(body))) + body) if fci else (b"", SW_OK)
        return b"", SW_BAD_P1P2

    def _read_binary(self, cmd: Command) -> tuple[bytes, int]:
        if not self._app_selected:
            return b"", SW_NOT_SELECTED
        if cmd.data or cmd.ne is None:
            return b"", SW_WRONG_LENGTH
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60:
                return b"", SW_BAD_P1P2
            found = next((f for f in FILES if f.sfi == cmd.p1 & 0x1F), None)
            if self._file(found) is None:
                return b"", SW_FILE_NOT_FOUND
            self._current, offset = found, cmd.p2
        else:
            offset = (cmd.p1 << 8) | cmd.p2
        content = self._file(self._current)
        if content is None:
            return b"", SW_NO_CURRENT_EF
        remaining = len(content) - offset
        if remaining <= 0:
            return b"", SW_WRONG_P1P2
        if self._t0 and remaining < cmd.ne:
            return b"", 0x6C00 | remaining  # T=0: Le must match what the card has
        chunk = content[offset:offset + cmd.ne]
        return chunk, SW_END_OF_FILE if len(chunk) < cmd.ne else SW_OK

    def _read_binary_odd(self, cmd: Command) -> tuple[bytes, int]:
        if not self._app_selected:
            return b"", SW_NOT_SELECTED
        if (cmd.p1, cmd.p2) != (0, 0):
            return b"", SW_BAD_P1P2  # only the current EF: all the reader needs
        content = self._file(self._current)
        if content is None:
            return b"", SW_NO_CURRENT_EF
        d = cmd.data
        if len(d) < 3 or d[0] != 0x54 or d[1] != len(d) - 2 or d[1] > 3:
            return b"", SW_WRONG_DATA
        offset = int.from_bytes(d[2:], "big")
        ne = cmd.ne or MAX_SHORT_NE  # on T=0 Le was left off; GET RESPONSE will say
        if ne < 2:  # not even room for the tag 53 header
            return b"", SW_WRONG_LENGTH
        remaining = len(content) - offset
        if remaining <= 0:
            return b"", SW_WRONG_P1P2
        n = min(remaining, ne - 2)
        if n >= 0x80:
            n = min(remaining, ne - 3, 0xFF)
        header = bytes((0x53, n)) if n < 0x80 else bytes((0x53, 0x81, n))
        wrapped = header + content[offset:offset + n]
        return self._answer(cmd, wrapped, SW_END_OF_FILE if n == remaining and
                            len(wrapped) < ne else SW_OK)

    def _internal_authenticate(self, cmd: Command) -> tuple[bytes, int]:
        if not self._app_selected:
            return b"", SW_NOT_SELECTED
        if not cmd.data:
            return b"", SW_WRONG_LENGTH
        if self._key is None:
            return b"", SW_TECHNICAL
        r, s = decode_dss_signature(self._key.sign(cmd.data, ec.ECDSA(hashes.SHA256())))
        size = (self._key.curve.key_size + 7) // 8
        return self._answer(cmd, r.to_bytes(size, "big") + s.to_bytes(size, "big"))

    def _get_response(self, cmd: Command) -> tuple[bytes, int]:
        if not self._pending:
            return b"", SW_NOT_SELECTED
        ne = cmd.ne or MAX_SHORT_NE
        if self._t0 and ne > len(self._pending):
            return b"", 0x6C00 | len(self._pending)
        chunk, self._pending = self._pending[:ne], self._pending[ne:]
        if self._pending:
            return chunk, 0x6100 | (min(len(self._pending), MAX_SHORT_NE) & 0xFF)
        return chunk, SW_OK
