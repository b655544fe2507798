"""The ESC/POS status parser: Epson's bit table, and strictness about what it cannot trust."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.escpos_status import (
    is_gs_r_reply,
    is_status_byte,
    offline_cause,
    paper_level,
    parse_status,
    printer_offline,
    query,
)
from kiosk.devices.status import DeviceState, Paper, PrinterStatus

OK = b"\x12"  # only the fixed bits: online, no cause, paper adequate


def test_queries_are_dle_eot_n() -> None:
    assert [query(n) for n in (1, 2, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]


@pytest.mark.parametrize(("reply", "level"), [
    (b"\x12", Paper.FULL),
    (b"\x1e", Paper.LOW),      # bits 2-3: near end
    (b"\x72", Paper.OUT),      # bits 5-6: paper end
    (b"\x7e", Paper.OUT),      # both: end wins
    (b"\x16", Paper.UNKNOWN),  # only bit 2 of the near-end pair: not an encoding
    (b"\x32", Paper.UNKNOWN),  # only bit 5 of the paper-end pair
    (b"", Paper.UNKNOWN),      # no reply: python-escpos calls this "adequate"
    (b"\x00", Paper.UNKNOWN),  # fixed bits wrong
    (b"\x92", Paper.UNKNOWN),  # bit 7 set
    (b"\x13", Paper.UNKNOWN),  # bit 0 set
    (b"\x12\x12", Paper.UNKNOWN),  # two bytes to one query: out of step
])
def test_paper_sensor_table(reply: bytes, level: Paper) -> None:
    assert paper_level(reply) is level


def test_printer_and_offline_cause_bits() -> None:
    assert printer_offline(b"\x12") is False
    assert printer_offline(b"\x1a") is True
    assert printer_offline(b"") is None
    cause = offline_cause(OK)
    assert cause is not None and not (cause.cover_open or cause.paper_end_stop or cause.error)
    assert offline_cause(bytes([0x12 | 0x04])).cover_open  # type: ignore[union-attr]
    assert offline_cause(bytes([0x12 | 0x08])).feed_button  # type: ignore[union-attr]
    assert offline_cause(bytes([0x12 | 0x20])).paper_end_stop  # type: ignore[union-attr]
    assert offline_cause(bytes([0x12 | 0x40])).error  # type: ignore[union-attr]
    assert offline_cause(b"\xff") is None


@pytest.mark.parametrize(("replies", "expected"), [
    ((OK, OK, OK), PrinterStatus(DeviceState.ONLINE, "", paper=Paper.FULL)),
    ((OK, OK, b"\x1e"), PrinterStatus(DeviceState.ONLINE, "paper_low", paper=Paper.LOW)),
    ((b"\x1a", b"\x32", b"\x7e"), PrinterStatus(DeviceState.ONLINE, "paper_out",
                                                 paper=Paper.OUT)),
    ((b"\x1a", b"\x16", OK), PrinterStatus(DeviceState.ONLINE, "cover_open", paper=Paper.FULL,
                                            cover_open=True)),
    ((b"\x1a", b"\x52", OK), PrinterStatus(DeviceState.HARDWARE_ERROR, "printer_error",
                                            paper=Paper.FULL)),
    ((b"\x1a", b"\x1a", OK), PrinterStatus(DeviceState.OFFLINE, "printer_offline",
                                            paper=Paper.FULL)),
    ((b"", b"", b""), PrinterStatus(DeviceState.OFFLINE, "no_reply", paper=Paper.UNKNOWN)),
    ((b"\x00", OK, OK), PrinterStatus(DeviceState.OFFLINE, "bad_reply", paper=Paper.FULL)),
    ((OK, OK, b""), PrinterStatus(DeviceState.ONLINE, "paper_unknown", paper=Paper.UNKNOWN)),
])
def test_status_table(replies: tuple[bytes, bytes, bytes], expected: PrinterStatus) -> None:
    assert parse_status(*replies) == expected


def test_paper_out_and_cover_open_are_unusable_with_their_reason() -> None:
    assert parse_status(b"\x1a", b"\x32", b"\x7e").reason == "paper_out"
    assert parse_status(b"\x1a", b"\x16", OK).reason == "cover_open"
    assert parse_status(b"", b"", b"").reason == "offline"
    low = parse_status(OK, OK, b"\x1e")
    assert low.usable and low.paper is Paper.LOW


replies = st.binary(min_size=0, max_size=3)


@given(replies, replies, replies)
def test_any_replies_give_a_valid_status(a: bytes, b: bytes, c: bytes) -> None:
    status = parse_status(a, b, c)
    assert isinstance(status, PrinterStatus)
    assert status.device in DeviceState
    assert status.paper in Paper
    if status.usable:
        # A printer the kiosk will print on answered both real-time queries properly.
        assert is_status_byte(a[0]) and len(a) == 1 and len(b) == 1 and is_status_byte(b[0])


@given(st.integers(0, 255))
def test_fixed_bit_violations_are_unknown(value: int) -> None:
    reply = bytes([value])
    valid = value & 0b1001_0011 == 0b0001_0010
    assert is_status_byte(value) is valid
    if not valid:
        assert paper_level(reply) is Paper.UNKNOWN
        assert printer_offline(reply) is None
        status = parse_status(reply, OK, OK)
        assert not status.usable and status.detail == "bad_reply"
    else:
        # Never both: a DLE EOT reply is never mistaken for the end-of-job GS r reply.
        assert not is_gs_r_reply(value)


@given(st.sampled_from([b"", b"\x12\x12"]), st.binary(max_size=2), st.binary(max_size=2))
def test_a_missing_paper_reply_is_never_adequate(paper: bytes, a: bytes, b: bytes) -> None:
    assert paper_level(paper) is Paper.UNKNOWN
    assert parse_status(a, b, paper).paper is not Paper.FULL
