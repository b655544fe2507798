"""EscPosPrinter end to end against the virtual ESC/POS printer on a real loopback socket."""

from __future__ import annotations

import io
import itertools
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageOps
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from kiosk.devices.base import Device, DeviceError
from kiosk.devices.escpos import EscPosPrinter, raster_commands, render_pdf
from kiosk.devices.escpos_transports import (
    FileTransport,
    TcpTransport,
    UsbTransport,
    connector,
)
from kiosk.devices.status import DeviceState, DeviceStatus, Paper, PrinterStatus
from kiosk.devices.virtual_escpos import VirtualEscPosPrinter
from kiosk.documents.layout import ACCENT, ACCENT_TINT, MUTED, RULE
from kiosk.documents.thermal import DOT, Strip

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


def bars_pdf(width: float, bars: list[tuple[int, int]], colours: list[Color] | None = None
             ) -> bytes:
    """A page ``width`` wide with a bar for each (first dot, dots wide), 10 mm tall,
    black or in ``colours``."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, 20 * mm))
    for index, (first, dots) in enumerate(bars):
        pdf.setFillColor(colours[index] if colours else black)
        pdf.rect(first * DOT, 5 * mm, dots * DOT, 10 * mm, stroke=0, fill=1)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def dark_runs(image: Image.Image, y: int) -> list[tuple[int, int]]:
    """(first dot, dots) of each dark run on row ``y``."""
    row = [v < 128 for v in image.convert("L").crop((0, y, image.width, y + 1))
           .get_flattened_data()]
    runs, x = [], 0
    for dark, run in itertools.groupby(row):
        n = len(list(run))
        if dark:
            runs.append((x, n))
        x += n
    return runs


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
    # Ink where the text is, at 203 dpi unscaled: 6 mm from the paper's edge is 2 mm
    # (16 dots) past the head's, as the 4 mm margin is cropped; from about 9 mm down.
    left, top, _, _ = ImageOps.invert(page).getbbox() or (0, 0, 0, 0)
    assert 16 <= left <= 24 and 64 <= top <= 80
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


def test_bars_print_dot_for_dot(virtual: VirtualEscPosPrinter,
                                printer: tuple[EscPosPrinter, Statuses], tmp_path: Path) -> None:
    # An 80 mm page is 640 dots at 203 dpi: the head prints its middle 576, so dot
    # 32 of the page is the head's first. A bar drawn 3 dots wide prints 3 dots
    # wide (scaled to fit the head, as before, it printed 2 or 3, never evenly).
    device, _ = printer
    device.print_pdf(bars_pdf(80 * mm, [(32, 3), (100, 3), (200, 6), (605, 3)]), "bars").result(
        WAIT)
    [page] = virtual.images
    assert page.width == 576
    assert dark_runs(page, page.height // 2) == [(0, 3), (68, 3), (168, 6), (573, 3)]
    # A receipt's Code 128: every bar a whole number of 3-dot modules, and it scans.
    strip = Strip("pt")
    strip.barcode("TX2025030400017731")
    device.print_pdf(strip.render("document.receipt.pdf_title",
                                  "document.header.identification"), "code").result(WAIT)
    image = virtual.images[-1]
    middle = next(y for y in range(image.height) if len(dark_runs(image, y)) > 20) + 40
    widths = [n for _, n in dark_runs(image, middle)]
    assert min(widths) == 3 and all(n % 3 == 0 for n in widths), widths
    [path] = virtual.save(tmp_path)[-1:]
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True,
                             text=True, check=True).stdout.split()
    assert scanned == ["TX2025030400017731"]


def test_coloured_ink_prints_solid_and_pale_tints_not_at_all() -> None:
    # A head prints black dots only. Text in the documents' accent and greys prints
    # solid (halftoned, 7 pt labels broke into dots), a rule too; a pale tint not at all.
    pdf = bars_pdf(80 * mm, [(40, 10), (80, 10), (120, 10), (160, 10)],
                   [ACCENT, MUTED, RULE, ACCENT_TINT])
    [page] = render_pdf(pdf)
    assert page.mode == "1"
    for y in range(page.height // 2 - 30, page.height // 2 + 30):
        assert dark_runs(page, y) == [(8, 10), (48, 10), (88, 10)]


def test_a_page_wider_than_the_paper_is_refused(
        virtual: VirtualEscPosPrinter, printer: tuple[EscPosPrinter, Statuses]) -> None:
    # An A4 sheet on a receipt printer could only print at a third of its size, too
    # small to read or scan: refused, before a byte of it reaches the printer.
    device, _ = printer
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    sheet.drawString(72, 720, "A4")
    sheet.showPage()
    sheet.save()
    sent_before = virtual.received
    with pytest.raises(DeviceError) as err:
        device.print_pdf(out.getvalue(), "a4").result(WAIT)
    assert err.value.code == "bad_document"
    assert err.value.detail == "210 mm wide page does not fit 80 mm paper"
    assert virtual.images == [] and virtual.cuts == 0
    assert virtual.received - sent_before < 1000  # status queries only
    assert device.status.usable  # the printer is fine; the document was not


def test_narrow_pages_are_padded_and_58_mm_paper_takes_no_80_mm_page() -> None:
    # A 58 mm page (464 dots) on 80 mm paper: centred on the 576-dot head, not stretched.
    [page] = render_pdf(bars_pdf(58 * mm, [(0, 3), (461, 3)]))
    assert page.width == 576
    assert dark_runs(page, page.height // 2) == [(56, 3), (517, 3)]
    # A 58 mm printer (384 dots) prints the middle 384 dots of a 58 mm page ...
    [page] = render_pdf(bars_pdf(58 * mm, [(40, 3)]), width=384, paper_mm=58)
    assert page.width == 384 and dark_runs(page, page.height // 2) == [(0, 3)]
    # ... and refuses an 80 mm one.
    with pytest.raises(DeviceError, match="80 mm wide page does not fit 58 mm paper"):
        render_pdf(make_pdf(), width=384, paper_mm=58)


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
