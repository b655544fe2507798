"""ESC/POS real-time status: the DLE EOT n queries and a strict reading of their replies.

Epson ESC/POS, DLE EOT n (real-time status transmission): every reply is one byte
whose bit 1 and bit 4 are fixed at 1 and bit 0 and bit 7 at 0.

- n=1 printer status:  bit 3 offline.
- n=2 offline cause:   bit 2 cover open, bit 3 paper fed by the feed button,
                       bit 5 printing stopped by paper end, bit 6 error occurred.
- n=4 roll paper:      bits 2-3 near end (both set), bits 5-6 paper end (both set).

Strictness is the point of this module: python-escpos reads an empty reply as
"paper adequate", and a kiosk that believes it has paper when the printer is
silent prints a citizen's document into nothing. Here an empty reply, a reply of
the wrong length or a byte whose fixed bits are wrong is *unknown*, never fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kiosk.devices.status import DeviceState, Paper, PrinterStatus

DLE_EOT: Final = b"\x10\x04"
PRINTER: Final = 1
OFFLINE_CAUSE: Final = 2
PAPER: Final = 4
QUERIES: Final = (PRINTER, OFFLINE_CAUSE, PAPER)

_FIXED_MASK: Final = 0b1001_0011  # bits 7, 4, 1, 0
_FIXED_VALUE: Final = 0b0001_0010  # bits 4 and 1 set, 7 and 0 clear

# GS r 1 (transmit paper sensor status) is *not* real-time: the printer answers it
# only once everything sent before it has been processed, so its reply marks the
# end of a job. Its bit 4 and bit 7 are fixed at 0, which tells it apart from a
# DLE EOT reply (bit 4 fixed at 1) arriving on the same wire.
GS_R_PAPER: Final = b"\x1dr\x01"
_GS_R_MASK: Final = 0b1001_0000


def query(n: int) -> bytes:
    """The DLE EOT n command."""
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    """Does ``value`` carry the fixed bits of a DLE EOT reply?"""
    return value & _FIXED_MASK == _FIXED_VALUE


def is_gs_r_reply(value: int) -> bool:
    """Could ``value`` be a GS r 1 reply (and so not a DLE EOT reply)?"""
    return value & _GS_R_MASK == 0


def _byte(reply: bytes) -> int | None:
    """The single valid status byte of ``reply``, or None when it cannot be trusted."""
    if len(reply) != 1 or not is_status_byte(reply[0]):
        return None
    return reply[0]


@dataclass(frozen=True)
class OfflineCause:
    cover_open: bool
    feed_button: bool
    paper_end_stop: bool
    error: bool


def printer_offline(reply: bytes) -> bool | None:
    """n=1: True when offline, None when the reply is unknown."""
    value = _byte(reply)
    return None if value is None else bool(value & 0x08)


def offline_cause(reply: bytes) -> OfflineCause | None:
    """n=2: the offline causes, None when the reply is unknown."""
    value = _byte(reply)
    if value is None:
        return None
    return OfflineCause(cover_open=bool(value & 0x04), feed_button=bool(value & 0x08),
                        paper_end_stop=bool(value & 0x20), error=bool(value & 0x40))


def paper_level(reply: bytes) -> Paper:
    """n=4: the roll paper sensor. A sensor pair that disagrees (01 or 10) is not
    an encoding the spec defines, so it is unknown rather than a guess."""
    value = _byte(reply)
    if value is None:
        return Paper.UNKNOWN
    near, end = (value >> 2) & 0b11, (value >> 5) & 0b11
    if near not in (0b00, 0b11) or end not in (0b00, 0b11):
        return Paper.UNKNOWN
    if end:
        return Paper.OUT
    return Paper.LOW if near else Paper.FULL


def parse_status(printer: bytes, cause: bytes, paper: bytes) -> PrinterStatus:
    """One PrinterStatus from the replies to DLE EOT 1, 2 and 4 (b"" for no reply).

    An Epson printer goes offline *because* its cover is open or its paper ran
    out; that is reported as an online device with ``paper=OUT`` or
    ``cover_open`` so the kiosk shows the specific reason, not a generic one.
    """
    level = paper_level(paper)
    offline = printer_offline(printer)
    why = offline_cause(cause)
    if offline is None or why is None:
        silent = not printer and not cause
        return PrinterStatus(DeviceState.OFFLINE, "no_reply" if silent else "bad_reply",
                             paper=level)
    if why.paper_end_stop:
        level = Paper.OUT
    if why.cover_open:
        return PrinterStatus(DeviceState.ONLINE, "cover_open", paper=level, cover_open=True)
    if level is Paper.OUT:
        return PrinterStatus(DeviceState.ONLINE, "paper_out", paper=level)
    if why.error:
        return PrinterStatus(DeviceState.HARDWARE_ERROR, "printer_error", paper=level)
    if offline:
        # Offline for a reason the printer does not name (e.g. paper being fed
        # by the button): transient, but nothing may be printed meanwhile.
        return PrinterStatus(DeviceState.OFFLINE, "printer_offline", paper=level)
    detail = "paper_low" if level is Paper.LOW else "paper_unknown" \
        if level is Paper.UNKNOWN else ""
    return PrinterStatus(DeviceState.ONLINE, detail, paper=level)
