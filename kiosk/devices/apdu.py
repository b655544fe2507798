"""ISO 7816-4 APDUs: command encoding, response parsing, and a channel to a card.

The channel hides what differs between transports and cards (T=0 GET RESPONSE
dances, 6Cxx "wrong Le" retries) so the read sequence in ``chip_reader`` is
written once, and runs the same over PC/SC and over the simulator's virtual
card. It also budgets APDUs and bytes: a hostile card must not keep a kiosk
reading forever.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Final

from kiosk.devices.base import DeviceError

SW_OK: Final = 0x9000
SW_END_OF_FILE: Final = 0x6282  # fewer bytes than Le before the end of the file
SW_WRONG_LENGTH: Final = 0x6700
SW_SECURITY: Final = 0x6982
SW_NOT_SELECTED: Final = 0x6985  # conditions of use not satisfied
SW_FILE_NOT_FOUND: Final = 0x6A82
SW_WRONG_P1P2: Final = 0x6B00  # e.g. an offset beyond the end of the file
SW_INS_UNKNOWN: Final = 0x6D00
SW_CLA_UNKNOWN: Final = 0x6E00
SW_TECHNICAL: Final = 0x6F00
SW_WRONG_DATA: Final = 0x6A80

INS_SELECT: Final = 0xA4
INS_READ_BINARY: Final = 0xB0
INS_READ_BINARY_ODD: Final = 0xB1
INS_INTERNAL_AUTHENTICATE: Final = 0x88
INS_GET_RESPONSE: Final = 0xC0

MAX_SHORT_NE: Final = 256
MAX_EXTENDED_NE: Final = 65536


class ApduError(DeviceError):
    """The card answered a status word the command does not allow."""

    def __init__(self, sw: int, detail: str = "") -> None:
        super().__init__("unreadable", f"SW {sw:04X}" + (f" {detail}" if detail else ""))
        self.sw = sw


def malformed(detail: str) -> DeviceError:
    return DeviceError("unreadable", detail)


@dataclass(frozen=True)
class Command:
    """A command APDU. ``ne`` is the number of bytes expected (Le): None for no Le,
    1..256 short or up to 65536 extended (Le=00 / 0000 means the maximum)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    extended: bool = False  # force extended encoding even when short would do

    @property
    def is_extended(self) -> bool:
        if not self.data and self.ne is None:
            return False  # case 1 has no length fields to extend
        return (self.extended or len(self.data) > 255
                or (self.ne is not None and self.ne > MAX_SHORT_NE))

    @property
    def case(self) -> int:
        return 1 + (self.ne is not None) + 2 * bool(self.data)

    def with_ne(self, ne: int | None) -> Command:
        return Command(self.cla, self.ins, self.p1, self.p2, self.data, ne, self.extended)

    def encode(self) -> bytes:
        for value in (self.cla, self.ins, self.p1, self.p2):
            if not 0 <= value <= 0xFF:
                raise ValueError("header byte out of range")
        if len(self.data) > 65535:
            raise ValueError("command data over 65535 bytes")
        if self.ne is not None and not 1 <= self.ne <= MAX_EXTENDED_NE:
            raise ValueError("Ne out of range 1..65536")
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if self.is_extended:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.ne is not None:
                le = (self.ne % MAX_EXTENDED_NE).to_bytes(2, "big")
                # Case 2E carries the extended marker before Le; 4E has it before Lc.
                out += le if self.data else b"\x00" + le
        else:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.ne is not None:
                out.append(self.ne % MAX_SHORT_NE)
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> Command:
        """Parse a command APDU (card side); ``ValueError`` if it is not one."""
        if len(raw) < 4:
            raise ValueError("APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or MAX_SHORT_NE)
        if body[0] != 0:
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:-1]), body[-1] or MAX_SHORT_NE)
            raise ValueError("short Lc does not match the body")
        if n == 3:
            return cls(cla, ins, p1, p2, ne=int.from_bytes(body[1:3], "big") or MAX_EXTENDED_NE,
                       extended=True)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ValueError("extended Lc of zero")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]), extended=True)
        if n == 5 + lc:
            ne = int.from_bytes(body[-2:], "big") or MAX_EXTENDED_NE
            return cls(cla, ins, p1, p2, bytes(body[3:-2]), ne, extended=True)
        raise ValueError("extended Lc does not match the body")


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise malformed(f"response of {len(raw)} bytes has no status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


Transmit = Callable[[bytes], bytes]

# Budgets for one card session: generous for the chip layout (a full short-APDU
# read on T=0 needs ~250 APDUs), small enough that a hostile card ends quickly.
DEFAULT_MAX_APDUS: Final = 600
DEFAULT_MAX_BYTES: Final = 256 * 1024


class CardChannel:
    """Sends commands over ``transmit`` (raw C-APDU in, raw R-APDU out).

    ``send`` resolves 61xx (GET RESPONSE, chained) and 6Cxx (resend with the
    card's Le), and raises ``ApduError`` unless the final status word is in
    ``accept``. On T=0 a case-4 command goes without Le and its answer is
    fetched with GET RESPONSE, and extended APDUs are refused (T=0 cannot carry
    them without ENVELOPE, which no card of ours needs).
    """

    def __init__(self, transmit: Transmit, protocol: str = "T=1", *,
                 max_apdus: int = DEFAULT_MAX_APDUS, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if protocol not in ("T=0", "T=1"):
            raise ValueError(f"unknown protocol {protocol!r}")
        self._transmit = transmit
        self.protocol = protocol
        self.max_apdus = max_apdus
        self.max_bytes = max_bytes
        self.apdus = 0
        self.bytes_received = 0
        # Whether extended-length APDUs work with this card and reader; None until
        # known. chip_reader decides it, the reader remembers it per ATR.
        self.extended: bool | None = False if protocol == "T=0" else None

    def _exchange(self, command: Command) -> Response:
        if self.apdus >= self.max_apdus:
            raise malformed(f"card needed more than {self.max_apdus} APDUs")
        raw = command.encode()
        self.apdus += 1
        response = Response.parse(self._transmit(raw))
        self.bytes_received += len(response.data)
        if self.bytes_received > self.max_bytes:
            raise malformed(f"card sent more than {self.max_bytes} bytes")
        return response

    def _exchange_le(self, command: Command) -> Response:
        response = self._exchange(command)
        if response.sw1 == 0x6C and command.ne is not None and not command.is_extended:
            # Wrong Le: the card says how many bytes it has; ask again, once.
            response = self._exchange(command.with_ne(response.sw2 or MAX_SHORT_NE))
            if response.sw1 == 0x6C:
                raise ApduError(response.sw, "card repeats wrong length")
        return response

    def send(self, command: Command, *, accept: Collection[int] = (SW_OK,)) -> Response:
        if command.is_extended and self.protocol == "T=0":
            raise DeviceError("reader_error", "extended APDU on T=0")
        wire = command
        if self.protocol == "T=0" and command.case == 4:
            wire = command.with_ne(None)
        response = self._exchange_le(wire)
        data = bytearray(response.data)
        while response.sw1 == 0x61:
            # More data waiting; the APDU and byte budgets end an endless chain.
            response = self._exchange_le(
                Command(command.cla & 0x03, INS_GET_RESPONSE, 0, 0,
                        ne=response.sw2 or MAX_SHORT_NE))
            data += response.data
        if command.ne is not None and len(data) > command.ne:
            raise malformed(f"card answered {len(data)} bytes for Le {command.ne}")
        if response.sw not in accept:
            raise ApduError(response.sw, f"to INS {command.ins:02X}")
        return Response(bytes(data), response.sw)
