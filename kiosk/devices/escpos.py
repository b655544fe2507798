"""An ESC/POS receipt printer (Epson TM-series and compatibles) behind the Printer seam.

A PDF page is rendered by pdftoppm to a 1-bit image at the printer's own
resolution, one pixel a dot, and sent as GS v 0 raster bands, then cut. A dot
is printed where the page is darker than a pale tint: coloured and grey text
prints solid black, as a head can print no grey (halftoned, small text broke
into dots). A page
as wide as the paper (80 mm: 640 dots at 203 dpi) loses its unprintable side
margins, cropped centred to the head's width (576 dots); a narrower page is
padded. Never scaled: a barcode drawn in whole dots prints in whole dots. A page
wider than the paper (an A4 sheet) is refused, as it could only print too small
to read or scan. Raster, not text, because the kiosk's documents carry fonts,
logos and QR codes that the printer's own fonts cannot draw.

Every command runs on the device's one worker thread, the status poller's too,
so a status query never lands inside raster data. A job ends with GS r 1, which
the printer answers only once everything before it has been printed: the job is
reported done when the paper is out of the printer, not when the bytes left us.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future
from pathlib import Path

from PIL import Image, ImageOps

from kiosk.devices.base import DeviceError
from kiosk.devices.escpos_status import (
    GS_R_PAPER,
    OFFLINE_CAUSE,
    PRINTER,
    QUERIES,
    is_gs_r_reply,
    is_status_byte,
    offline_cause,
    parse_status,
    query,
)
from kiosk.devices.escpos_transports import Connect, Transport
from kiosk.devices.printer import Printer, PrintResult
from kiosk.devices.status import DeviceState, PrinterStatus

INIT = b"\x1b@"
CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter, then a partial cut
CODES = frozenset({"paper_out", "cover_open", "paper_jam", "offline", "bad_document"})
PAPER_MM = {"roll80": 80.0, "roll58": 58.0}  # the paper's width, by Printer.media
PAPER_SLACK_MM = 0.5  # a page this much wider than the paper is rounding, not a mistake
# Grey level (0 black, 255 white) below which a dot prints: every text colour and
# rule of the documents (the palest, the rules' grey-green, is 197), not a tint (238).
INK_BELOW = 224
log = logging.getLogger(__name__)


def render_pdf(pdf: bytes, width: int = 576, dpi: int = 203,
               paper_mm: float = 80.0) -> list[Image.Image]:
    """Every page of ``pdf`` as a 1-bit image ``width`` dots wide, one pixel a dot.

    Rendered at ``dpi``, a dot wherever the page is darker than ``INK_BELOW``; a
    page wider than the head is cropped centred (the paper's margins, which the
    head cannot reach), a narrower one padded centred. A page wider than
    ``paper_mm`` is refused (``bad_document``).
    """
    if not pdf.startswith(b"%PDF-"):
        raise DeviceError("bad_document", "not a PDF")
    with tempfile.TemporaryDirectory(prefix="escpos-") as tmp:
        source = Path(tmp) / "job.pdf"
        source.write_bytes(pdf)
        # Grey without anti-aliasing: each shape in its own flat grey, edges on whole dots.
        cmd = ["pdftoppm", "-r", str(dpi), "-gray", "-aa", "no", "-aaVector", "no",
               str(source), str(Path(tmp) / "page")]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        except FileNotFoundError as exc:
            raise DeviceError("offline", "pdftoppm (poppler-utils) is not installed") from exc
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise DeviceError("bad_document", "pdftoppm could not render it") from exc
        # pdftoppm zero-pads page numbers, so names sort in page order.
        pages = []
        for path in sorted(Path(tmp).glob("page*.pgm")):
            with Image.open(path) as image:
                pages.append(image.point(lambda v: 255 if v >= INK_BELOW else 0, "1"))
    if not pages:
        raise DeviceError("bad_document", "no pages")
    return [_fit(page, width, dpi, paper_mm) for page in pages]


def _fit(page: Image.Image, width: int, dpi: int, paper_mm: float) -> Image.Image:
    """``page`` (rendered at ``dpi``) made ``width`` dots wide without scaling it."""
    page_mm = page.width / dpi * 25.4
    if page_mm > paper_mm + PAPER_SLACK_MM:
        raise DeviceError("bad_document",
                          f"{page_mm:.0f} mm wide page does not fit {paper_mm:.0f} mm paper")
    if page.width >= width:
        left = (page.width - width) // 2
        return page.crop((left, 0, left + width, page.height))
    padded = Image.new("1", (width, page.height), 1)
    padded.paste(page, ((width - page.width) // 2, 0))
    return padded


def raster_commands(image: Image.Image, band_rows: int = 256) -> Iterator[bytes]:
    """GS v 0 commands for ``image``, in bands: some printers refuse tall rasters."""
    # ESC/POS prints a 1 bit; PIL's mode "1" stores white as 1, so invert first.
    ink = ImageOps.invert(image.convert("L")).convert("1", dither=Image.Dither.NONE)
    box = ink.getbbox()
    # Trailing white space is paper the citizen throws away: stop below the last ink.
    height = min(ink.height, box[3] + 16) if box else 8
    width_bytes = (ink.width + 7) // 8
    for top in range(0, height, band_rows):
        rows = min(band_rows, height - top)
        band = ink.crop((0, top, ink.width, top + rows)).tobytes()
        yield (b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
               + band)


class EscPosPrinter(Printer):
    """``connect()`` opens the wire (see escpos_transports.connector); it is called
    again after the printer went away, so a printer that comes back is found."""

    def __init__(self, connect: Connect, *, name: str = "printer", poll_s: float = 2.0,
                 width_dots: int = 576, dpi: int = 203, reply_timeout_s: float = 1.0,
                 job_timeout_s: float = 60.0) -> None:
        super().__init__(name, PrinterStatus(DeviceState.STARTING))
        self._connect = connect
        self._wire_: Transport | None = None
        self.poll_s = poll_s
        self.width_dots = width_dots
        self.media = "roll58" if width_dots <= 384 else "roll80"
        self.paper_mm = PAPER_MM[self.media]
        self.dpi = dpi
        self.reply_timeout_s = reply_timeout_s
        self.job_timeout_s = job_timeout_s
        self._jobs = 0
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, daemon=True,
                                        name=f"escpos-poll-{name}")

    # -- public ----------------------------------------------------------------------

    def open(self) -> None:
        if not self._poller.is_alive() and not self._stop.is_set():
            self._poller.start()

    def close(self) -> None:
        self._stop.set()
        super().close()  # lets a running job or poll finish, drops queued ones
        if self._poller.is_alive():
            self._poller.join(5)
        self._drop()

    def refresh(self) -> Future[PrinterStatus]:
        """Ask the printer now rather than at the next poll."""
        return self.submit(self._poll)

    def print_pdf(self, pdf: bytes, job_name: str) -> Future[PrintResult]:
        def job() -> PrintResult:
            pages = render_pdf(pdf, self.width_dots, self.dpi, self.paper_mm)
            return self._job([b"".join(raster_commands(p)) + CUT for p in pages], job_name)

        return self._submit_job(job_name, job)

    def print_raster(self, image: Image.Image, job_name: str) -> Future[PrintResult]:
        """One receipt from an image already sized for the head (``width_dots`` wide)."""
        return self._submit_job(
            job_name, lambda: self._job([b"".join(raster_commands(image)) + CUT], job_name))

    def print_receipt(self, lines: Iterable[str], job_name: str) -> Future[PrintResult]:
        """One receipt of plain text in the printer's own font (code page 437)."""
        text = "\n".join(lines).encode("cp437", errors="replace") + b"\n"
        return self._submit_job(job_name, self._job, [text + CUT], job_name)

    # -- worker thread only --------------------------------------------------------

    def _wire(self) -> Transport:
        if self._wire_ is None:
            self._wire_ = self._connect()
        return self._wire_

    def _drop(self) -> None:
        wire, self._wire_ = self._wire_, None
        if wire is not None:
            wire.close()

    def _read_status(self) -> PrinterStatus:
        wire = self._wire()
        while wire.read(256, 0):  # stale replies (a late answer) must not pass as fresh
            pass
        replies: list[bytes] = []
        for n in QUERIES:
            wire.write(query(n))
            replies.append(wire.read(1, self.reply_timeout_s))
            if n == PRINTER and not replies[0]:
                break  # silent: do not wait out two more timeouts
        replies += [b""] * (len(QUERIES) - len(replies))
        status = parse_status(*replies)
        if status.detail in ("no_reply", "bad_reply"):
            self._drop()  # a fresh connection next time leaves any late reply behind
        return status

    def _poll(self) -> PrinterStatus:
        try:
            status = self._read_status()
        except DeviceError as exc:
            log.info("printer %s unreachable: %s", self.name, exc.detail)
            self._drop()
            status = PrinterStatus(DeviceState.OFFLINE, "unreachable")
        self._set_status(status)
        return status

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.submit(self._poll).result()
            except (RuntimeError, CancelledError):
                return  # the worker was shut down: the device is closing
            except Exception:  # the poller must outlive any surprise
                log.exception("printer %s status poll failed", self.name)
            self._stop.wait(self.poll_s)

    def _job(self, pages: list[bytes], job_name: str) -> PrintResult:
        status = self._poll()
        if not status.usable:
            code = status.reason if status.reason in CODES else "offline"
            raise DeviceError(code, status.detail)
        self._set_status(PrinterStatus(DeviceState.BUSY, paper=status.paper))
        try:
            wire = self._wire()
            wire.write(INIT)
            for page in pages:
                wire.write(page)
            self._await_end(wire)
            final = self._read_status()
            self._set_status(final)
            if not final.usable:  # ran out (or opened) just as the job ended
                code = final.reason if final.reason in CODES else "offline"
                raise DeviceError(code, "after the job")
        except DeviceError as exc:
            if exc.code == "offline":
                self._drop()
                self._set_status(PrinterStatus(DeviceState.OFFLINE, "connection_lost"))
            raise
        finally:
            if self.status.device is DeviceState.BUSY:
                self._poll()
        self._jobs += 1
        return PrintResult(f"{time.strftime('%Y%m%dT%H%M%S')}-{self._jobs:04d}", len(pages))

    def _await_end(self, wire: Transport) -> None:
        """Wait for the GS r 1 reply; meanwhile ask DLE EOT 2 why, if it is slow."""
        wire.write(GS_R_PAPER)
        deadline = time.monotonic() + self.job_timeout_s
        probing = False
        while time.monotonic() < deadline:
            data = wire.read(16, self.reply_timeout_s)
            if not data:
                if probing:
                    raise DeviceError("offline", "no reply during the job")
                wire.write(query(OFFLINE_CAUSE))
                probing = True
                continue
            for value in data:
                if is_status_byte(value):
                    probing = False
                    self._raise_if_stopped(bytes([value]))
                elif is_gs_r_reply(value):
                    return
        raise DeviceError("offline", "the job did not finish in time")

    def _raise_if_stopped(self, reply: bytes) -> None:
        cause = offline_cause(reply)
        if cause is None:
            return
        if cause.paper_end_stop or cause.cover_open or cause.error:
            status = self._read_status()
            self._set_status(status)
            if cause.paper_end_stop:
                raise DeviceError("paper_out", "during the job")
            if cause.cover_open:
                raise DeviceError("cover_open", "during the job")
            raise DeviceError("offline", "printer_error during the job")
