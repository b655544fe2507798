"""EscPosPrinter end to end against the virtual ESC/POS printer on a real loopback socket."""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from kiosk.devices.base import Device, DeviceError
from kiosk.devices.escpos import EscPosPrinter, raster_commands
from kiosk.devices.escpos_transports import (
    FileTransport,
    TcpTransport,
    UsbTransport,
    connector,
)
from kiosk.devices.status import DeviceState, DeviceStatus, Paper, PrinterStatus
from kiosk.devices.virtual_escpos import VirtualEscPosPrinter

WAIT = 10.0


class Statuses:
    """Every status event of a device, and a way to wait for one without sleeping."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.seen: list[DeviceStatus] = []
        self._cond = threading.Condition()
        device.subscribe(self._on)

    def _on(self, _device: Device, status: DeviceStatus) -> None:
        with self._cond:
            self.seen.append(status)
            self._cond.notify_all()

    def wait(self, predicate: Callable[[PrinterStatus], bool]) -> PrinterStatus:
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.device.status), WAIT)  # type: ignore[arg-type]
        assert ok, f"status never matched; last {self.device.status}"
        return self.device.status  # type: ignore[return-value]


def online(status: PrinterStatus) -> bool:
    return status.device is DeviceState.ONLINE


def make_pdf(pages: int = 1) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(80 * mm, 60 * mm))
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 28)
        pdf.drawString(6 * mm, 44 * mm, f"KIOSK {page + 1}")  # the top of the page only
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture
def virtual() -> Iterator[VirtualEscPosPrinter]:
    with VirtualEscPosPrinter() as printer:
        yield printer


def escpos(port: int) -> EscPosPrinter:
    return EscPosPrinter(lambda: TcpTransport("127.0.0.1", port, connect_timeout_s=1.0),
                         poll_s=0.05, reply_timeout_s=0.3, job_timeout_s=WAIT)


@pytest.fixture
def printer(virtual: VirtualEscPosPrinter) -> Iterator[tuple[EscPosPrinter, Statuses]]:
    device = escpos(virtual.port)
    statuses = Statuses(device)
    device.open()
    statuses.wait(online)
    yield device, statuses
    device.close()


def test_a_pdf_prints_as_a_raster_with_ink_where_the_text_is(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses],
        tmp_path: Path) -> None:
    device, _ = printer
    result = device.print_pdf(make_pdf(2), "test-receipt").result(WAIT)
    assert result.pages == 2
    assert len(virtual.images) == 2 and virtual.cuts == 2
    page = virtual.images[0].convert("L")
    assert page.width == 576
    dark = sum(1 for v in page.get_flattened_data() if v < 128)
    assert dark > 2000, "the text should leave ink on the receipt"
    # Ink where the text is: from 6 mm in (43 dots) and from about 12 mm down, no sooner.
    left, top, _, _ = ImageOps.invert(page).getbbox() or (0, 0, 0, 0)
    assert 35 <= left <= 50 and 60 <= top <= 120
    assert virtual.png(0).startswith(b"\x89PNG")
    assert [p.name for p in virtual.save(tmp_path)] == ["receipt-001.png", "receipt-002.png"]


def test_text_receipts_and_rasters_from_images(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, _ = printer
    device.print_receipt(["Ticket A-042", "Thank you"], "ticket").result(WAIT)
    assert virtual.texts == ["Ticket A-042\nThank you"]
    square = Image.new("1", (576, 40), 1)
    square.paste(0, (100, 10, 200, 30))
    device.print_raster(square, "square").result(WAIT)
    ink = [v for v in virtual.images[-1].convert("L").get_flattened_data() if v < 128]
    assert len(ink) == 100 * 20


def test_paper_near_end_warns_but_prints(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, statuses = printer
    virtual.paper_near_end()
    low = statuses.wait(lambda s: s.paper is Paper.LOW)
    assert low.usable and low.detail == "paper_low"
    assert any(s.device is DeviceState.ONLINE and s.paper is Paper.FULL  # type: ignore[attr-defined]
               for s in statuses.seen)
    device.print_pdf(make_pdf(), "low").result(WAIT)
    assert len(virtual.images) == 1


def test_paper_out_before_the_job_prints_nothing(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, statuses = printer
    sent_before = virtual.received
    virtual.paper_out()
    with pytest.raises(DeviceError) as err:
        device.print_pdf(make_pdf(), "out").result(WAIT)
    assert err.value.code == "paper_out"
    assert virtual.images == [] and virtual.cuts == 0
    # Only status queries went out (three bytes each), never raster data.
    assert virtual.received - sent_before < 1000
    status = statuses.wait(lambda s: s.paper is Paper.OUT)
    assert not status.usable and status.reason == "paper_out"


def test_paper_out_mid_job(virtual: VirtualEscPosPrinter,
                           printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, _ = printer
    virtual.paper_out(after_bytes=2000)
    with pytest.raises(DeviceError) as err:
        device.print_pdf(make_pdf(), "mid").result(WAIT)
    assert err.value.code == "paper_out"
    assert virtual.images == []
    assert device.status.reason == "paper_out"  # type: ignore[attr-defined]


def test_cover_open(virtual: VirtualEscPosPrinter,
                    printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, statuses = printer
    virtual.cover_open()
    status = statuses.wait(lambda s: s.cover_open)
    assert status.reason == "cover_open"
    with pytest.raises(DeviceError) as err:
        device.print_pdf(make_pdf(), "cover").result(WAIT)
    assert err.value.code == "cover_open"
    virtual.recover()
    assert statuses.wait(lambda s: s.usable).paper is Paper.FULL


def test_offline_mid_job_then_the_poller_brings_it_back(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, statuses = printer
    virtual.go_offline(after_bytes=2000)
    with pytest.raises(DeviceError) as err:
        device.print_pdf(make_pdf(), "gone").result(WAIT)
    assert err.value.code == "offline"
    assert device.status.device is DeviceState.OFFLINE
    assert virtual.images == []
    virtual.recover()
    statuses.wait(online)
    device.print_pdf(make_pdf(), "back").result(WAIT)
    assert len(virtual.images) == 1


def test_a_silent_printer_is_offline_not_full_of_paper(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    _, statuses = printer
    virtual.go_offline(silent=True)
    status = statuses.wait(lambda s: s.device is DeviceState.OFFLINE)
    assert status.detail == "no_reply" and status.paper is not Paper.FULL
    virtual.recover()
    statuses.wait(online)


def test_a_printer_that_appears_later_is_found() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens here yet
    device = escpos(port)
    statuses = Statuses(device)
    device.open()
    try:
        assert statuses.wait(lambda s: s.device is DeviceState.OFFLINE).detail == "unreachable"
        with VirtualEscPosPrinter(port=port):
            statuses.wait(online)
    finally:
        device.close()


def test_a_bad_document_is_refused(printer: tuple[EscPosPrinter, Statuses]) -> None:
    device, _ = printer
    for junk in (b"not a pdf", b"%PDF-1.4\n garbage"):
        with pytest.raises(DeviceError) as err:
            device.print_pdf(junk, "junk").result(WAIT)
        assert err.value.code == "bad_document"


def test_raster_bands_stop_below_the_last_ink() -> None:
    image = Image.new("1", (576, 1000), 1)
    image.paste(0, (0, 0, 576, 300))
    bands = list(raster_commands(image, band_rows=256))
    heights = [b[6] | b[7] << 8 for b in bands]
    assert heights == [256, 60] and all(b[:4] == b"\x1dv0\x00" for b in bands)


def test_transports_map_failures_to_offline(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    for connect in (lambda: TcpTransport("127.0.0.1", port),
                    lambda: FileTransport(str(tmp_path / "no-such-device")),
                    lambda: UsbTransport(0xFFFE, 0xFFFE)):
        with pytest.raises(DeviceError) as err:
            connect()
        assert err.value.code == "offline"
    with pytest.raises(ValueError, match="host"):
        connector({})


def test_file_transport_round_trip(tmp_path: Path) -> None:
    fifo = tmp_path / "printer.fifo"
    os.mkfifo(fifo)
    wire = connector({"device": str(fifo)})()
    try:
        assert wire.read(1, 0.0) == b""
        wire.write(b"\x10\x04\x01")
        assert wire.read(3, 1.0) == b"\x10\x04\x01"
    finally:
        wire.close()
