"""Printing through CUPS: submit with ``lp``, follow the job to its end.

The command-line clients (cups-client) speak IPP to the configured server; the
kiosk needs no CUPS library in its process. A job is followed until CUPS says
it completed, or the queue stops (filter or backend failure), or it is
cancelled or aborted, each a DeviceError code the journey explains.
"""

from __future__ import annotations

import re
import subprocess
import time
from concurrent.futures import Future

from kiosk.devices.base import DeviceError
from kiosk.devices.printer import Printer, PrintResult, count_pdf_pages
from kiosk.devices.status import DeviceState, Paper, PrinterStatus

_REQUEST_ID = re.compile(r"request id is (\S+)")
_SAFE_TITLE = re.compile(r"[^A-Za-z0-9_.-]")


class CupsPrinter(Printer):
    """A CUPS queue on ``server`` ("host:port"; empty: the machine's default)."""

    def __init__(self, queue: str, *, server: str = "", name: str = "printer",
                 job_timeout_s: float = 120.0, poll_s: float = 0.2) -> None:
        self.queue = queue
        self.server = server
        self.job_timeout_s = job_timeout_s
        self.poll_s = poll_s
        super().__init__(name, PrinterStatus(DeviceState.STARTING))

    def _cmd(self, *args: str) -> list[str]:
        return [args[0], *(["-h", self.server] if self.server else []), *args[1:]]

    def _run(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(self._cmd(*args), input=data, capture_output=True,
                                  timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DeviceError("offline", type(e).__name__) from None
        return subprocess.CompletedProcess(done.args, done.returncode,
                                           done.stdout.decode("utf-8", "replace"),
                                           done.stderr.decode("utf-8", "replace"))

    def open(self) -> None:
        self.refresh()

    def refresh(self) -> PrinterStatus:
        """Ask CUPS for the queue's state and report it."""
        try:
            state = self._queue_state()
        except DeviceError:
            state = "unreachable"
        status = {
            "idle": PrinterStatus(DeviceState.ONLINE, paper=Paper.UNKNOWN),
            "printing": PrinterStatus(DeviceState.BUSY, paper=Paper.UNKNOWN),
            "disabled": PrinterStatus(DeviceState.OFFLINE, "queue_stopped"),
            "missing": PrinterStatus(DeviceState.NO_DEVICE, "no_queue"),
        }.get(state, PrinterStatus(DeviceState.OFFLINE, "cups_unreachable"))
        self._set_status(status)
        return status

    def _queue_state(self) -> str:
        result = self._run("lpstat", "-p", self.queue)
        text = result.stdout + result.stderr
        if result.returncode != 0:
            if "Invalid destination" in text or "not exist" in text:
                return "missing"
            raise DeviceError("offline", "cups_unreachable")
        if "disabled" in text:
            return "disabled"
        return "printing" if "now printing" in text else "idle"

    def print_pdf(self, pdf: bytes, job_name: str) -> Future[PrintResult]:
        return self._submit_job(job_name, self._print, pdf, job_name)

    def _print(self, pdf: bytes, job_name: str) -> PrintResult:
        pages = count_pdf_pages(pdf)
        if not pdf.startswith(b"%PDF-") or pages == 0:
            raise DeviceError("bad_document")
        if not self.refresh().usable:
            raise DeviceError(self.status.reason or "offline")
        title = _SAFE_TITLE.sub("_", job_name)  # shown to technicians: no personal data
        result = self._run("lp", "-d", self.queue, "-t", title, "-", data=pdf)
        found = _REQUEST_ID.search(result.stdout)
        if result.returncode != 0 or not found:
            self.refresh()
            raise DeviceError("offline", "submit_failed")
        job_id = found.group(1)
        self._set_status(PrinterStatus(DeviceState.BUSY, paper=Paper.UNKNOWN))
        try:
            self._follow(job_id)
        finally:
            self.refresh()
        return PrintResult(job_id, pages)

    def _follow(self, job_id: str) -> None:
        """Until CUPS lists the job as completed; a stopped queue or a job that
        left the queue without completing is a failure."""
        deadline = time.monotonic() + self.job_timeout_s
        while time.monotonic() < deadline:
            # Waiting first, completed second: a job that completes between the two
            # questions is then seen completed, never "in neither list" (aborted),
            # which a busy machine made happen asking the other way round.
            waiting = self._run("lpstat", "-W", "not-completed", "-o", self.queue)
            still = any(line.split()[:1] == [job_id] for line in waiting.stdout.splitlines())
            done = self._run("lpstat", "-W", "completed", "-o", self.queue)
            if any(line.split()[:1] == [job_id] for line in done.stdout.splitlines()):
                return
            if self._queue_state() == "disabled":
                raise DeviceError("offline", "queue_stopped")
            if not still:  # neither waiting nor completed: cancelled or aborted
                raise DeviceError("offline", "job_aborted")
            time.sleep(self.poll_s)  # CUPS has no push channel on the command line
        raise DeviceError("offline", "job_timeout")
