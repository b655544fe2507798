"""The voucher journey printing on real printer drivers instead of the simulator.

The real ``ssm.voucher-print`` journey (Qt-free, through ManualHost) against the
sandbox on loopback, with the terminal's printer being

- CUPS: a private cupsd with a cups-pdf queue (the ``cupsd`` fixture); the PDF
  cups-pdf writes is the paper;
- ESC/POS: the virtual ESC/POS printer on 127.0.0.1, which keeps each cut page
  as an image, the paper; it can run out of paper in the middle of a job.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import groupby
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from kiosk.config import DeviceConfig
from kiosk.devices.base import Device
from kiosk.devices.cupsd_daemon import CupsdDaemon
from kiosk.devices.escpos import raster_commands, render_pdf
from kiosk.devices.status import Paper
from kiosk.devices.virtual_escpos import VirtualEscPosPrinter
from kiosk.journey import Journey, ManualHost
from kiosk.sandbox import db as sandbox_db
from kiosk.sandbox.server import SandboxServer
from tests.conftest import CHAN, ISSUE, fast_config, journey_for

CARD = CHAN.card_number  # six vouchers available: two A4 pages of four, or six receipts
SERVICE = "ssm.voucher-print"
PRINT_WAIT = 60.0  # real printing: a CUPS job takes about a second here
RECEIPT_WIDTH_PT = 80 / 25.4 * 72  # 80 mm paper


# -- the terminal and the citizen -----------------------------------------------------

@pytest.fixture
def host() -> ManualHost:
    return ManualHost()


@pytest.fixture
def terminal_with(kiosk_home: Path, sandbox: SandboxServer) -> Iterator[Callable]:
    """``terminal_with(driver, **options)``: a terminal on simulators but for a real printer."""
    from kiosk.app import build_terminal

    built = []

    def make(driver: str, **options: object):
        cfg = fast_config()
        cfg = replace(cfg, devices={**cfg.devices, "printer": DeviceConfig(driver, options)})
        built.append(build_terminal(cfg, backend_url=sandbox.url))
        return built[-1]

    yield make
    for term in built:
        term.close()


def record_jobs(printer: Device) -> list[bytes]:
    """Every document the journey hands the (real) driver, in order; the driver still prints it."""
    jobs: list[bytes] = []
    real = printer.print_pdf  # type: ignore[attr-defined]

    def print_pdf(pdf: bytes, job_name: str):
        jobs.append(pdf)
        return real(pdf, job_name)

    printer.print_pdf = print_pdf  # type: ignore[attr-defined]
    return jobs


def on(host: ManualHost, screen: str, timeout: float = 10.0) -> None:
    host.pump(lambda: host.view.screen == screen, timeout)


def choose_vouchers(host: ManualHost, terminal) -> Journey:
    """Start a journey, choose the service once the printer is ready, insert the card,
    and stop at the quantity screen (all six vouchers offered)."""
    journey = journey_for(terminal, host)
    journey.start()
    journey.act("start")
    journey.act("choose_lang", "en")
    # A real printer reports ready a moment after it is opened; the catalog rightly
    # refuses the service until then.
    host.pump(lambda: all(a.available for _, a in host.view.data["catalog"]))
    journey.act("service", SERVICE)
    on(host, "insert_card")
    terminal.devices["card_reader"].insert(CARD)
    on(host, "quantity")
    assert host.view.data["count"] == host.view.data["maximum"] == 6
    return journey


def finish(host: ManualHost, journey: Journey, terminal) -> None:
    """The citizen takes the card: the session ends completed."""
    terminal.devices["card_reader"].remove()
    host.pump(lambda: bool(host.reports))
    assert host.reports[-1].outcome == "completed"
    assert host.view.screen == "attract"


# -- what is on the paper ---------------------------------------------------------------

def serials_in(text: str) -> list[str]:
    """The serials printed in ``text``, in groups of four ("1898 7999 9036"), sorted."""
    return sorted("".join(g) for g in re.findall(r"\b(\d{4}) (\d{4}) (\d{4})\b", text))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_info(pdf: Path, field: str) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return re.search(rf"^{field}:\s+(.*)$", info, re.M).group(1)  # type: ignore[union-attr]


def scan_pdf(pdf: Path, tmp: Path) -> list[str]:
    """Every barcode on every page, as a scanner at 200 dpi reads it."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp / "page")], check=True)
    return scan_images(sorted(tmp.glob("page*.png")))


def scan_images(paths: list[Path]) -> list[str]:
    done = subprocess.run(["zbarimg", "--raw", "-q", *map(str, paths)], capture_output=True,
                          text=True)
    assert done.returncode in (0, 4), done.stderr  # 4: ran fine, found nothing
    return done.stdout.split()


def issued(sandbox: SandboxServer) -> list[str]:
    return sandbox_db.issued_serials(sandbox.db_path, CARD)


def issue_requests(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.journal if r.path == ISSUE)


def as_printed(pdf: bytes) -> list[Image.Image]:
    """What an ESC/POS printer with 576 dots puts on paper for ``pdf``: each page
    rendered as the driver renders it, cut below the last ink as its raster is."""
    pages = []
    for page in render_pdf(pdf):
        height = sum(band[6] | band[7] << 8 for band in raster_commands(page))
        pages.append(page.crop((0, 0, page.width, height)))
    return pages


def bar_widths(image: Image.Image) -> list[int]:
    """The widths in dots of a receipt's barcode bars: the dark runs of its tallest
    stack of identical rows (a barcode is 11 mm of one row; text never is)."""
    grey = image.convert("L")
    rows = [tuple(v < 128 for v in grey.crop((0, y, grey.width, y + 1)).get_flattened_data())
            for y in range(grey.height)]
    height, row = max((len(list(same)), row) for row, same in groupby(rows) if any(row))
    assert height >= 80, "no barcode on this receipt"  # 11 mm at 203 dpi is 88 rows
    return [len(list(run)) for dark, run in groupby(row) if dark]


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"),
                                                      b.convert("L")).getbbox() is None


def check_document(pdf: bytes, serials: list[str], tmp: Path) -> None:
    """A voucher document for exactly ``serials``: in its text and in its barcodes."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "document.pdf"
    path.write_bytes(pdf)
    assert serials_in(pdf_text(path)) == sorted(serials)
    assert sorted(scan_pdf(path, tmp)) == sorted(serials)


# -- CUPS ------------------------------------------------------------------------------

def test_vouchers_through_cups_to_paper(host, terminal_with, sandbox, cupsd: CupsdDaemon,
                                        tmp_path: Path) -> None:
    terminal = terminal_with("cups", queue=cupsd.queue, server=cupsd.server)
    before = set(cupsd.out.glob("*.pdf"))  # the cupsd is shared by the whole run
    journey = choose_vouchers(host, terminal)
    journey.act("confirm")
    on(host, "done", PRINT_WAIT)
    serials = issued(sandbox)
    assert len(serials) == 6 and sandbox_db.transaction_count(sandbox.db_path) == 1
    assert sandbox_db.vouchers_available(sandbox.db_path, CARD) == 0
    [paper] = set(cupsd.out.glob("*.pdf")) - before
    assert pdf_info(paper, "Pages") == "2"  # six vouchers, four a page
    # cups-pdf re-renders the job: the glyphs are all drawn, but text extraction
    # keeps only ASCII (its fonts lose their Unicode map), so Chinese and the
    # accents of Portuguese cannot be checked this way; the serials and the
    # holder's Latin name can, and the barcodes are scanned off the rendered paper.
    text = pdf_text(paper)
    assert serials_in(text) == serials
    assert text.count("CHAN, TAI MAN") == 6 and text.count("5215***(8)") == 6
    assert CHAN.id_number not in text  # masked on paper
    assert sorted(scan_pdf(paper, tmp_path)) == serials
    finish(host, journey, terminal)


# -- ESC/POS ---------------------------------------------------------------------------

@pytest.fixture
def virtual() -> Iterator[VirtualEscPosPrinter]:
    with VirtualEscPosPrinter() as printer:
        yield printer


def escpos_terminal(terminal_with, virtual: VirtualEscPosPrinter):
    return terminal_with("escpos", host="127.0.0.1", port=virtual.port, poll_s=0.1)


def test_vouchers_on_an_escpos_receipt_printer(host, terminal_with, sandbox,
                                               virtual: VirtualEscPosPrinter,
                                               tmp_path: Path) -> None:
    terminal = escpos_terminal(terminal_with, virtual)
    jobs = record_jobs(terminal.devices["printer"])
    journey = choose_vouchers(host, terminal)
    journey.act("confirm")
    on(host, "done", PRINT_WAIT)
    serials = issued(sandbox)
    assert len(serials) == 6 and sandbox_db.transaction_count(sandbox.db_path) == 1
    [document] = jobs
    check_document(document, serials, tmp_path)
    # The printer received the rasters of that document, a cut after each page (one
    # voucher a page), and the job ended only when the printer said so (GS r):
    # nothing is pending.
    assert pdf_info(tmp_path / "document.pdf", "Pages") == "6"
    assert virtual.cuts == 6 and len(virtual.images) == 6
    assert all(same_pixels(got, want)
               for got, want in zip(virtual.images, as_printed(document), strict=True))
    assert all(image.width == 576 for image in virtual.images)
    finish(host, journey, terminal)


def test_voucher_barcodes_scan_off_the_receipt(host, terminal_with, sandbox,
                                               virtual: VirtualEscPosPrinter,
                                               tmp_path: Path) -> None:
    # The receipt printer says it prints on an 80 mm roll, so the vouchers come as
    # receipts, one a page, printed dot for dot: each barcode scans off the paper.
    terminal = escpos_terminal(terminal_with, virtual)
    jobs = record_jobs(terminal.devices["printer"])
    journey = choose_vouchers(host, terminal)
    journey.act("confirm")
    on(host, "done", PRINT_WAIT)
    [document] = jobs
    (tmp_path / "document.pdf").write_bytes(document)
    width = float(pdf_info(tmp_path / "document.pdf", "Page size").split()[0])
    assert width == pytest.approx(RECEIPT_WIDTH_PT, abs=0.01)
    receipts = virtual.save(tmp_path / "receipts")
    assert len(receipts) == 6
    # One voucher a receipt, each barcode its own serial, all six the issued ones.
    per_receipt = [scan_images([path]) for path in receipts]
    assert all(len(codes) == 1 for codes in per_receipt), per_receipt
    assert sorted(c for codes in per_receipt for c in codes) == issued(sandbox)
    # Bars of whole 3-dot modules on the raster the printer received.
    for image in virtual.images:
        widths = bar_widths(image)
        assert min(widths) == 3 and all(w % 3 == 0 for w in widths), widths
    finish(host, journey, terminal)


def test_escpos_paper_out_mid_job_then_retry_prints_the_same_vouchers(
        host, terminal_with, sandbox, virtual: VirtualEscPosPrinter, tmp_path: Path) -> None:
    terminal = escpos_terminal(terminal_with, virtual)
    printer = terminal.devices["printer"]
    jobs = record_jobs(printer)
    journey = choose_vouchers(host, terminal)
    # A voucher receipt is about 75 kB of raster: the roll ends inside the first.
    virtual.paper_out(after_bytes=20_000)
    journey.act("confirm")
    on(host, "error", PRINT_WAIT)
    assert host.view.data["message"] == "error.device.paper_out"
    assert host.view.data["retry"] is True
    assert printer.status.paper is Paper.OUT and not printer.status.usable
    assert virtual.images == [] and virtual.cuts == 0  # the torn page is not a voucher
    first = issued(sandbox)
    assert len(first) == 6 and sandbox_db.transaction_count(sandbox.db_path) == 1
    assert len(jobs) == 1
    check_document(jobs[0], first, tmp_path / "first")

    virtual.recover()  # the attendant loads a new roll
    host.pump(lambda: printer.status.usable)  # the driver's poller sees it
    journey.act("retry")
    on(host, "done", PRINT_WAIT)
    # The retry printed the vouchers issued the first time; nothing was issued again,
    # nor even asked for.
    assert issued(sandbox) == first and issue_requests(sandbox) == 1
    assert sandbox_db.transaction_count(sandbox.db_path) == 1
    assert sandbox_db.vouchers_available(sandbox.db_path, CARD) == 0
    assert len(jobs) == 2
    check_document(jobs[1], first, tmp_path / "retry")
    assert virtual.cuts == 6 and len(virtual.images) == 6
    assert all(same_pixels(got, want)
               for got, want in zip(virtual.images, as_printed(jobs[1]), strict=True))
    finish(host, journey, terminal)
