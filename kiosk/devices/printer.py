"""The printer interface and its simulator.

A printer takes a finished PDF and reports each job to its end. CUPS and
ESC/POS drivers plug into the same seam; the simulator keeps every printout as
a PDF file and can be told to run out of paper, open its cover or go offline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.devices.base import Device, DeviceError, Listeners
from kiosk.devices.status import DeviceState, DeviceStatus, Paper, PrinterStatus

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    pages: int
    # Where the simulator kept the printout; None for real printers.
    path: Path | None = None


@dataclass(frozen=True)
class JobEnd:
    """How one job ended, for counters: never the document."""

    job_name: str
    pages: int  # printed; 0 when it failed
    error: str | None = None  # the DeviceError code when it failed


JobListener = Callable[["Printer", JobEnd], None]


def count_pdf_pages(pdf: bytes) -> int:
    return len(_PAGE.findall(pdf))


class Printer(Device):
    kind = "printer"
    # What it prints on, so a service renders a document that fits: "a4" sheets,
    # or a receipt roll ("roll80": 80 mm paper, 72 mm printed; "roll58").
    media: str = "a4"

    def __init__(self, name: str, initial: DeviceStatus) -> None:
        super().__init__(name, initial)
        self._job_listeners = Listeners("job", name)

    def print_pdf(self, pdf: bytes, job_name: str) -> Future[PrintResult]:
        """Print and wait for the job's end. Fails with ``DeviceError`` codes:
        ``paper_out``, ``cover_open``, ``paper_jam``, ``offline``, ``bad_document``.
        ``job_name`` is shown to technicians: never put personal data in it.
        Drivers run their jobs through ``_submit_job``, so job listeners hear
        of each one's end."""
        raise NotImplementedError

    def subscribe_jobs(self, listener: JobListener) -> Callable[[], None]:
        """Call ``listener(printer, JobEnd)`` as each job ends, on the device's thread."""
        return self._job_listeners.add(listener)

    def _submit_job(self, job_name: str, fn: Callable[..., PrintResult],
                    *args: Any) -> Future[PrintResult]:
        """Run the job ``fn(*args)`` on the worker thread and tell the job
        listeners how it ended before its future does, so whoever waits on it
        finds it counted. (A job cancelled unstarted, as the printer closes,
        printed nothing and failed at nothing: it is not told.)"""

        def job() -> PrintResult:
            try:
                result = fn(*args)
            except Exception as e:
                self._tell(JobEnd(job_name, 0, getattr(e, "code", type(e).__name__)))
                raise
            self._tell(JobEnd(job_name, result.pages))
            return result

        return self.submit(job)

    def _tell(self, end: JobEnd) -> None:
        self._job_listeners.call(self, end)  # a broken listener must not fail the job


class SimulatedPrinter(Printer):
    """Keeps every job as ``<out_dir>/<job>.pdf`` and counts sheets of paper."""

    simulated = True

    def __init__(self, out_dir: Path, *, sheets: int = 500, low_at: int = 50,
                 seconds_per_page: float = 0.8, presenter: bool = False,
                 name: str = "printer") -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.sheets = sheets
        self.low_at = low_at
        self._seconds_per_page = seconds_per_page
        self._fail_next: str | None = None
        self._jobs = 0
        # Kept apart from the status, so loading paper does not close the cover and
        # closing the cover does not bring an offline printer back online.
        self._cover_open = False
        self._offline = False
        # ``presenter``: the simulated printer senses a printout left in its exit
        # slot (as kiosk printers with a presenter do) until ``take_printout()``.
        self._presenter = presenter
        self._printout_waiting = False
        super().__init__(name, self._paper_status())

    def _paper_status(self) -> PrinterStatus:
        paper = Paper.OUT if self.sheets <= 0 else Paper.LOW if self.sheets <= self.low_at \
            else Paper.FULL
        state = DeviceState.OFFLINE if self._offline else DeviceState.ONLINE
        detail = "cover_open" if self._cover_open else "paper_out" if paper is Paper.OUT else ""
        return PrinterStatus(state, detail, paper=paper, cover_open=self._cover_open,
                             printout_waiting=self._printout_waiting)

    def take_printout(self) -> None:
        """The citizen took what lay in the exit slot."""
        self._printout_waiting = False
        self._set_status(self._paper_status())

    def load_paper(self, sheets: int) -> None:
        self.sheets = sheets
        self._set_status(self._paper_status())

    def set_cover_open(self, is_open: bool) -> None:
        self._cover_open = is_open
        self._set_status(self._paper_status())

    def set_offline(self, offline: bool) -> None:
        self._offline = offline
        self._set_status(self._paper_status())

    def fail_next_job(self, code: str | None) -> None:
        """The next job fails with ``code`` (e.g. "paper_jam", "offline"); None
        disarms a failure no job has taken yet."""
        self._fail_next = code

    def print_pdf(self, pdf: bytes, job_name: str) -> Future[PrintResult]:
        return self._submit_job(job_name, self._print, pdf, job_name)

    def _print(self, pdf: bytes, job_name: str) -> PrintResult:
        status = self.status
        if not status.usable:
            raise DeviceError(status.reason or "offline")
        pages = count_pdf_pages(pdf)
        if not pdf.startswith(b"%PDF-") or pages == 0:
            raise DeviceError("bad_document")
        if pages > self.sheets:
            self.sheets = 0
            self._set_status(self._paper_status())
            raise DeviceError("paper_out", "ran out during the job")
        self._set_status(PrinterStatus(DeviceState.BUSY, paper=status.paper))
        try:
            time.sleep(self._seconds_per_page * pages)  # the printer's own pace
            failure, self._fail_next = self._fail_next, None
            if failure:
                raise DeviceError(failure)
            self._jobs += 1
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", job_name)
            job_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{self._jobs:04d}-{safe}"
            path = self.out_dir / f"{job_id}.pdf"
            tmp = path.with_suffix(".part")
            tmp.write_bytes(pdf)
            tmp.replace(path)  # a printout is whole or absent
            self.sheets -= pages
            self._printout_waiting = self._presenter
            return PrintResult(job_id, pages, path)
        finally:
            self._set_status(self._paper_status())
