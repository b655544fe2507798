"""What the journey needs from whoever hosts it: a screen, a thread, timers.

The Qt UI is one host (``kiosk.ui.bridge``); ``ManualHost`` is another, with a
fake clock and a queue the test pumps, so journeys are tested without Qt,
without sleeps and without real time passing.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kiosk.identity.frames import Frame
    from kiosk.journey.views import SessionReport, View


class Timer(Protocol):
    def cancel(self) -> None: ...


class JourneyHost(Protocol):
    def show(self, view: View) -> None:
        """Draw ``view`` (called on the journey's thread)."""

    def preview(self, frame: Frame, overlay: Mapping[str, Any]) -> None:
        """Draw a live camera frame on the current screen, with its overlay
        (face ``box``, ``guidance`` code, next ``prompt`` text key)."""

    def post(self, fn: Callable[[], None]) -> None:
        """From any thread: run ``fn`` on the journey's thread soon."""

    def run_in_background(self, work: Callable[[], Any],
                          done: Callable[[Any, BaseException | None], None]) -> None:
        """Run ``work`` off the journey's thread, then ``done(result, error)`` on it."""

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` on the journey's thread after ``seconds``."""

    def session_ended(self, report: SessionReport) -> None:
        """A session is over (and wiped)."""


class _ManualTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Fake timers: time moves only when ``advance`` is called (as qutebrowser's
    fake timers do), so timeouts are tested without waiting for them."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, _ManualTimer, Callable[[], None]]] = []
        self._seq = itertools.count()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer:
        timer = _ManualTimer()
        heapq.heappush(self._timers, (self.now + seconds, next(self._seq), timer, fn))
        return timer

    def advance(self, seconds: float) -> None:
        """Move the clock, firing due timers in order."""
        end = self.now + seconds
        while self._timers and self._timers[0][0] <= end:
            when, _, timer, fn = heapq.heappop(self._timers)
            self.now = when
            if not timer.cancelled:
                fn()
        self.now = end


class ManualHost:
    """A host for tests: a fake clock moved by ``advance``, work on real threads,
    results delivered when the test calls ``pump``."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.views: list[View] = []
        self.frames = 0
        self.overlays: list[dict[str, Any]] = []
        self.reports: list[SessionReport] = []
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()

    @property
    def view(self) -> View:
        return self.views[-1]

    def show(self, view: View) -> None:
        self.views.append(view)

    def preview(self, frame: Frame, overlay: Mapping[str, Any]) -> None:
        self.frames += 1
        self.overlays.append(dict(overlay))

    def post(self, fn: Callable[[], None]) -> None:
        self._inbox.put(fn)

    def run_in_background(self, work: Callable[[], Any],
                          done: Callable[[Any, BaseException | None], None]) -> None:
        def runner() -> None:
            try:
                result, error = work(), None
            except BaseException as e:  # delivered to the journey, not lost
                result, error = None, e
            self._inbox.put(lambda: done(result, error))

        threading.Thread(target=runner, daemon=True).start()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer:
        return self.clock.call_later(seconds, fn)

    def session_ended(self, report: SessionReport) -> None:
        self.reports.append(report)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def pump(self, until: Callable[[], bool], timeout: float = 10.0) -> None:
        """Deliver posted work until ``until()`` holds; fail after ``timeout`` real seconds."""
        import time

        deadline = time.monotonic() + timeout
        while not until():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not reached; last view: {self.views[-1:]}")
            try:
                fn = self._inbox.get(timeout=min(remaining, 0.05))
            except queue.Empty:
                continue
            fn()
