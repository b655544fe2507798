"""The Qt host of the journey: everything reaches the journey on the main thread.

Device status events, camera frames and finished background work arrive on
other threads; they are posted through a queued signal, so the journey and the
widgets are only ever touched by the Qt main thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kiosk.identity.frames import Frame
from kiosk.journey import Journey, SessionReport, Timer, View
from kiosk.journey.host import ManualClock

if TYPE_CHECKING:
    from kiosk.maintenance.mode import Front
    from kiosk.ui.stall import StallMonitor

log = logging.getLogger(__name__)


class _QtTimer:
    def __init__(self, seconds: float, fn: Callable[[], None], parent: QObject) -> None:
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        # Through a closure, never ``fn`` itself: for a bound method of a plain
        # Python object (the journey's idle timer, the reminder) PySide keeps a
        # weak reference that outlives the timer, ~140 bytes at every tap and
        # screen for the life of the process (the soak found 7 a journey).
        self._timer.timeout.connect(lambda: fn())
        # Fired, it goes: one nobody cancels would stay a child of the host.
        self._timer.timeout.connect(self._timer.deleteLater)
        self._timer.start(max(0, int(seconds * 1000)))

    def cancel(self) -> None:
        if shiboken6.isValid(self._timer):  # not already fired and deleted
            self._timer.stop()
            self._timer.deleteLater()


class QtHost(QObject):
    """Implements ``kiosk.journey.JourneyHost`` with Qt's event loop.

    ``clock``: a ``ManualClock`` for tests (fake timers); real QTimers otherwise.
    """

    _posted = Signal(object)
    viewed = Signal(object)  # View, after it is drawn
    framed = Signal()  # a camera frame was drawn
    ended = Signal(object)  # SessionReport

    def __init__(self, window: Any, clock: ManualClock | None = None, workers: int = 4) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self.journey: Journey | Front | None = None
        # Set by whoever measures the event loop: every handler this host runs on
        # the UI thread (a view, a tap's action, a camera frame, a posted result)
        # is named to it, so a stall says what it was.
        self.monitor: StallMonitor | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="journey-work")
        self._posted.connect(self._run_posted)

    def attach(self, journey: Journey | Front) -> None:
        """Route the window's taps and the devices' events to ``journey`` (or
        to the ``Front`` that chooses between it and maintenance mode)."""
        self.journey = journey
        self.window.acted.connect(self._act)
        self.window.touched.connect(journey.touch)

    def section(self, label: object) -> AbstractContextManager[None]:
        """Name what runs inside to the monitor, if there is one (``label``: a
        string, or a function named only if it turns out to stall)."""
        monitor = self.monitor
        return nullcontext() if monitor is None else monitor.section(label)

    # ----- JourneyHost -----------------------------------------------------------

    def show(self, view: View) -> None:
        with self.section(f"show:{view.screen}" if self.monitor else None):
            self.window.render(view)
            self.viewed.emit(view)

    def preview(self, frame: Frame, overlay: Mapping[str, Any]) -> None:
        with self.section("preview" if self.monitor else None):
            drawn = self.window.show_frame(frame, overlay)
        if drawn:
            self.framed.emit()

    def post(self, fn: Callable[[], None]) -> None:
        self._post(fn, fn)

    def _post(self, fn: Callable[[], None], label: object) -> None:
        self._posted.emit((fn, label))  # queued to the main thread when emitted elsewhere

    def run_in_background(self, work: Callable[[], Any],
                          done: Callable[[Any, BaseException | None], None]) -> None:
        def runner() -> None:
            try:
                result, error = work(), None
            except BaseException as e:  # delivered to the journey, never lost
                result, error = None, e
            # Named after the work whose result it delivers.
            self._post(lambda: done(result, error), work)

        self._pool.submit(runner)

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer:
        if self.clock is not None:
            return self.clock.call_later(seconds, fn)
        return _QtTimer(seconds, fn, self)

    def session_ended(self, report: SessionReport) -> None:
        self.ended.emit(report)

    # ----- plumbing --------------------------------------------------------------

    def device_status(self, device: Any, status: Any) -> None:
        """A device listener: may be called on the device's own thread."""
        name = device.name
        self._post(lambda: self.journey.on_device_status(name, status) if self.journey else None,
                   f"device:{name}")

    def _act(self, action: str, value: Any = None) -> None:
        if self.journey is not None:
            with self.section(f"act:{action}" if self.monitor else None):
                self.journey.act(action, value)

    @Slot(object)
    def _run_posted(self, posted: tuple[Callable[[], None], object]) -> None:
        fn, label = posted
        try:
            with self.section(label):
                fn()
        except Exception:  # one bad callback must not take the kiosk down
            log.exception("posted callback failed")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
