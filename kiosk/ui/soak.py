"""The soak run: journey after journey through the real UI, with faults
injected at random, watching for what kills kiosks in the field — a crash, a
screen that never comes back, memory that creeps up, threads or file
descriptors that leak — and for personal data in the logs.

One kiosk for the whole run (as in a hall, for months): each journey is a
scripted citizen (``Autopilot``) on one of the services in turn, with one
fault (or none) drawn from ``FAULTS`` with a seeded random generator, so a run
is repeatable. After each journey the fault is lifted, the card and printout
taken, and the kiosk must be back on its attract screen within
``STUCK_AFTER_S``; then the process's resident memory, threads and open file
descriptors are sampled. ``kiosk soak`` runs it (docs/soak.md); the test suite
runs a short form.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer

from kiosk.journey import View
from kiosk.memory import heap_in_use
from kiosk.sandbox.demo import personal_data
from kiosk.ui.autopilot import Autopilot
from kiosk.ui.run import Kiosk

log = logging.getLogger(__name__)

FAULTS = ("none", "card_pulled", "paper_out", "printer_jam", "backend_5xx",
          "backend_timeout", "network_down", "camera_lost")
# How often each is drawn: half the journeys clean, the rest spread over the faults.
WEIGHTS = (7, 1, 1, 1, 1, 1, 1, 1)
STUCK_AFTER_S = 30.0
JOURNEY_TIMEOUT_S = 90.0
WARMUP_SHARE = 0.2  # the first fifth warms caches, pools and the face engine up
RSS_GROWTH_LIMIT_MB = 10.0
# Screens where a card can be pulled mid-service (after it was read).
MID_SERVICE = frozenset({"face", "form", "choose", "review", "otp", "quantity", "payment",
                         "result"})


def personal_markers() -> list[str]:
    """What must never be in a log: the demo citizens' personal data, and the
    start of a JPEG in base64 (a photo)."""
    return ["/9j/", *personal_data()]


def process_sample() -> tuple[int, int, int]:
    """Resident memory (kB), threads and open file descriptors of this process."""
    return (resident_kb()["VmRSS"], *threads_and_fds())


def threads_and_fds() -> tuple[int, int]:
    return len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))


def resident_kb() -> dict[str, int]:
    """This process's resident memory (``VmRSS``) and its parts: ``RssAnon``
    (its own pages: heaps, stacks), ``RssFile`` (pages of mapped files, as the
    fonts' glyphs drawn so far: shared and reclaimable), in kB."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(line.split()[1])
    return found


@dataclass
class Journey:
    n: int
    service: str
    fault: str
    outcome: str
    reason: str | None
    fault_reached: bool
    seconds: float
    rss_kb: int
    threads: int
    fds: int
    # What the resident memory is made of, to tell a leak from the rest.
    rss_anon_kb: int = 0
    rss_file_kb: int = 0
    heap_kb: int = 0  # malloc's blocks in use (kiosk.memory.heap_in_use)


@dataclass
class SoakReport:
    journeys: list[Journey] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # ERROR records: logger and message
    leaks: list[str] = field(default_factory=list)  # personal data found in a log
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        n = len(self.journeys)
        warm = self.journeys[max(1, int(n * WARMUP_SHARE)) - 1:] if n else []
        first, last = (warm[0], warm[-1]) if warm else (None, None)

        def growth(part: str) -> float:
            """MB more at the end than after warm-up."""
            return (getattr(last, part) - getattr(first, part)) / 1024 if first and last else 0.0

        rss_growth = growth("rss_kb")
        by_fault: dict[str, Counter[str]] = {}
        for j in self.journeys:
            by_fault.setdefault(j.fault, Counter())[j.outcome] += 1
        return {
            "journeys": n, "seconds": round(self.seconds, 1),
            "journeys_per_minute": round(n / self.seconds * 60, 1) if self.seconds else 0,
            "services": len({j.service for j in self.journeys}),
            "outcomes": dict(Counter(j.outcome for j in self.journeys)),
            "faults": {f: dict(c) for f, c in sorted(by_fault.items())},
            "faults_reached": sum(j.fault_reached for j in self.journeys if j.fault != "none"),
            "stuck": self.stuck, "errors": len(self.errors), "leaks": self.leaks,
            "rss_mb": {"after_warmup": round(first.rss_kb / 1024, 1) if first else 0,
                       "end": round(last.rss_kb / 1024, 1) if last else 0,
                       "max": round(max(j.rss_kb for j in self.journeys) / 1024, 1) if n else 0,
                       "growth": round(rss_growth, 1),
                       # the growth's parts: own pages, mapped files, malloc's blocks in use
                       "anon_growth": round(growth("rss_anon_kb"), 1),
                       "file_growth": round(growth("rss_file_kb"), 1),
                       "heap_growth": round(growth("heap_kb"), 1)},
            "threads": {"after_warmup": first.threads if first else 0,
                        "end": last.threads if last else 0,
                        "max": max((j.threads for j in self.journeys), default=0)},
            "fds": {"after_warmup": first.fds if first else 0, "end": last.fds if last else 0,
                    "max": max((j.fds for j in self.journeys), default=0)},
            "problems": self.problems(first, last, rss_growth),
        }

    def problems(self, first: Journey | None, last: Journey | None,
                 rss_growth: float) -> list[str]:
        found = [f"journey {n}: the kiosk did not come back to its attract screen"
                 for n in self.stuck]
        found += [f"error logged: {e}" for e in self.errors[:20]]
        found += [f"personal data in a log: {kind}" for kind in self.leaks]
        if first and last and len(self.journeys) >= 200 and rss_growth > RSS_GROWTH_LIMIT_MB:
            found.append(f"resident memory grew {rss_growth:.1f} MB after warm-up")
        if first and last and last.threads > first.threads + 2:
            found.append(f"threads {first.threads} -> {last.threads}")
        if first and last and last.fds > first.fds + 4:
            found.append(f"file descriptors {first.fds} -> {last.fds}")
        return found

    def to_json(self) -> str:
        return json.dumps({"summary": self.summary(),
                           "journeys": [asdict(j) for j in self.journeys]}, indent=1)


class _Errors(logging.Handler):
    """Collects what the kiosk logs at ERROR or worse during the soak."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()[:200]}")


class SandboxFaults:
    """The faults of a sandbox gateway in another process, over its control API
    (``/_sandbox/faults``): the soak measures the kiosk's process alone."""

    def __init__(self, url: str) -> None:
        import requests

        self.url = f"{url}/_sandbox/faults"
        self.http = requests.Session()

    def add(self, mode: str, path_prefix: str, *, status: int = 503, times: int | None = 1,
            delay_s: float = 0.0) -> None:
        body: dict[str, Any] = {"mode": mode, "path": path_prefix}
        if times is not None:  # absent: until cleared
            body["times"] = times
        if mode == "error":
            body["status"] = status
        if mode == "timeout":
            body["delay_s"] = delay_s
        self.http.post(self.url, json=body, timeout=10).raise_for_status()

    def clear(self) -> None:
        self.http.delete(self.url, timeout=10).raise_for_status()

    def close(self) -> None:
        self.http.close()


class Soak:
    """Runs the journeys on ``kiosk`` (built on a terminal with simulated devices
    and a sandbox gateway whose ``faults`` it injects)."""

    def __init__(self, kiosk: Kiosk, terminal: Any, faults: Any, *, journeys: int,
                 seed: int = 1, out: Path, services: Sequence[str] | None = None,
                 progress: Callable[[Journey], None] | None = None) -> None:
        self.kiosk = kiosk
        self.terminal = terminal
        self.faults = faults
        self.journeys = journeys
        self.random = random.Random(seed)
        self.out = Path(out)
        self.services = list(services or sorted(s.id for s in terminal.services))
        self.progress = progress
        self.report = SoakReport()
        self._trigger: Callable[[View], None] | None = None
        kiosk.host.viewed.connect(self._viewed)

    def run(self) -> SoakReport:
        errors = _Errors()
        logging.getLogger().addHandler(errors)
        started = time.monotonic()
        order: list[str] = []
        try:
            for n in range(1, self.journeys + 1):
                if not order:
                    order = self.random.sample(self.services, len(self.services))
                service = order.pop()
                fault = self.random.choices(FAULTS, WEIGHTS)[0]
                self.report.journeys.append(self._journey(n, service, fault))
                if self.progress is not None:
                    self.progress(self.report.journeys[-1])
        finally:
            logging.getLogger().removeHandler(errors)
            self.kiosk.host.viewed.disconnect(self._viewed)
        self.report.seconds = time.monotonic() - started
        self.report.errors = errors.seen
        return self.report

    # ----- one journey -----------------------------------------------------------------

    def _journey(self, n: int, service: str, fault: str) -> Journey:
        started = time.monotonic()
        reached = threading.Event()
        self._inject(fault, reached)
        result = self._drive(service)
        self._trigger = None
        self._lift_faults()
        if not self._back_in_service():
            self.report.stuck.append(n)
            log.error("soak journey %d (%s, %s) stuck on %s", n, service, fault,
                      self._screen())
            self.kiosk.journey.end("cancelled")
        for document in result.documents:  # the pilot's copies: not kept
            (self.out / "pilot" / document).unlink(missing_ok=True)
        gc.collect()  # a sample of what is held, not of garbage not yet collected
        parts = resident_kb()  # one reading: the total and its parts of the same moment
        threads, fds = threads_and_fds()
        return Journey(n, service, fault, result.outcome, result.reason,
                       fault == "none" or reached.is_set(), round(time.monotonic() - started, 2),
                       parts["VmRSS"], threads, fds, rss_anon_kb=parts.get("RssAnon", 0),
                       rss_file_kb=parts.get("RssFile", 0), heap_kb=(heap_in_use() or 0) // 1024)

    def _drive(self, service: str) -> Any:
        """One scripted citizen through ``service``; its result. The pilot is
        dropped on return (not deleteLater(): outside an event loop's own level
        a deferred delete waits for a loop that never runs), having let go of
        the kiosk when it finished."""
        pilot = Autopilot(self.kiosk, service, self.out / "pilot", lang=self.random.choice(
            self.terminal.config.terminal.languages), tap_delay_s=0.0,
            printed_dir=getattr(self.terminal.devices["printer"], "out_dir", None),
            timeout_s=JOURNEY_TIMEOUT_S, screenshots=False, exit_app=False)
        pilot.start()
        self._spin_until(lambda: pilot.finished, JOURNEY_TIMEOUT_S + 5)
        return pilot.result

    def _inject(self, fault: str, reached: threading.Event) -> None:
        devices, faults = self.terminal.devices, self.faults
        read_timeout = self.terminal.config.backend.read_timeout_s
        if fault == "paper_out":
            devices["printer"].load_paper(0)
        elif fault == "printer_jam":
            devices["printer"].fail_next_job("paper_jam")
        elif fault == "backend_5xx":
            faults.add("error", "/v1/", status=503, times=None)
        elif fault == "backend_timeout":
            faults.add("timeout", "/v1/", delay_s=read_timeout + 1, times=2)
        elif fault == "network_down":
            faults.add("down", "/v1/", times=None)  # not /_sandbox/: it must be cleared
        if fault in ("paper_out", "printer_jam", "backend_5xx", "backend_timeout",
                     "network_down"):
            reached.set()  # in force from the start
        elif fault == "card_pulled":
            after = self.random.randint(0, 2)  # which mid-service screen
            seen = [0]

            def pull(view: View) -> None:
                if view.screen in MID_SERVICE:
                    seen[0] += 1
                    if seen[0] > after:
                        self._trigger = None
                        reached.set()
                        devices["card_reader"].remove()

            self._trigger = pull
        elif fault == "camera_lost":
            def lose(view: View) -> None:
                if view.screen == "face":
                    self._trigger = None
                    reached.set()
                    devices["camera"].fail()

            self._trigger = lose

    def _viewed(self, view: View) -> None:
        if self._trigger is not None:
            self._trigger(view)

    def _lift_faults(self) -> None:
        devices = self.terminal.devices
        self.faults.clear()
        printer, camera, reader = devices["printer"], devices["camera"], devices["card_reader"]
        printer.load_paper(500)
        printer.fail_next_job(None)  # a jam armed for a journey that printed nothing
        camera.recover()
        if reader.inserted is not None:
            reader.remove()  # the citizen takes the card

    def _back_in_service(self) -> bool:
        """The attract screen again: the citizen left, the kiosk waits for the next."""
        printer = self.terminal.devices["printer"]
        journey = self.kiosk.journey

        def settled() -> bool:
            if printer.status.printout_waiting:
                printer.take_printout()
            if journey.session is not None and self._screen() not in ("progress",):
                self.kiosk.window.acted.emit("cancel", None)  # a citizen walking away
            return journey.session is None and self._screen() == "attract"

        return self._spin_until(settled, STUCK_AFTER_S)

    def _screen(self) -> str:
        view = self.kiosk.window.view
        return view.screen if view is not None else ""

    @staticmethod
    def _spin_until(done: Callable[[], bool], timeout_s: float) -> bool:
        """Run the event loop until ``done()`` (checked every 20 ms) or the timeout."""
        deadline = time.monotonic() + timeout_s
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > deadline
                              else None)
        timer.start(20)
        if not done():
            loop.exec()
        timer.stop()
        return done()


def scan_logs(paths: Sequence[Path]) -> list[str]:
    """Which kinds of personal data (never the data itself) any file holds."""
    markers = personal_markers()
    found: set[str] = set()
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for i, marker in enumerate(markers):
            if marker and marker in text:
                found.add("photo" if marker == "/9j/" else f"demo citizen datum #{i}")
    return sorted(found)
