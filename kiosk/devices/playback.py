"""One utterance or chime of the espeak-ng speaker, from the request to its end.

Kept apart from the driver: the state a request goes through (pending,
started, cut off, done), which the driver's worker and the caller's thread
share under a lock, and which diagnostics and the tests read.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path


class Playback:
    """One utterance or chime, from the request to its end.

    ``outcome`` is "pending" until ``done`` is set, then "played", "written"
    (into the output directory), "interrupted" (cut off once it had started),
    "skipped" (cut off before, or the speaker cannot sound it) or "failed".
    """

    def __init__(self, number: int, what: str, detail: str, volume: int) -> None:
        self.number = number
        self.what = what  # "say" or "chime"
        self.detail = detail  # the language, or the chime's kind
        self.volume = volume
        self.requested_at = time.monotonic()
        self.started_at: float | None = None
        self.started = threading.Event()  # all its processes run (the player's last)
        self.done = threading.Event()
        self.outcome = "pending"
        self.path: Path | None = None  # the file written, with an output directory
        self.processes: list[subprocess.Popen[bytes]] = []
        self._cancelled = False
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Cut it off: its processes get SIGTERM now; the worker reaps them."""
        with self._lock:
            self._cancelled = True
            processes = list(self.processes)
        for p in processes:
            if p.poll() is None:
                p.terminate()

    def attach(self, process: subprocess.Popen[bytes], *, last: bool = True) -> bool:
        """Count ``process`` as part of it (``last``: the one that sounds, so it
        has started); False (and the process ended) if it was cut off meanwhile."""
        with self._lock:
            self.processes.append(process)
            cancelled = self._cancelled
            if not cancelled and last:
                self.started_at = time.monotonic()
                self.started.set()
        if cancelled:
            process.terminate()
        return not cancelled

    def finish(self, outcome: str) -> None:
        if self.outcome == "pending":
            self.outcome = outcome
        self.done.set()
