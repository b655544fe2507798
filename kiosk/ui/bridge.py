"""The Qt host of the journey: everything reaches the journey on the main thread.

Device status events, camera frames and finished background work arrive on
other threads; they are posted through a queued signal, so the journey and the
widgets are only ever touched by the Qt main thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kiosk.identity.frames import Frame
from kiosk.journey import Journey, SessionReport, Timer, View
from kiosk.journey.host import ManualClock

log = logging.getLogger(__name__)


class _QtTimer:
    def __init__(self, seconds: float, fn: Callable[[], None], parent: QObject) -> None:
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(fn)
        self._timer.start(max(0, int(seconds * 1000)))

    def cancel(self) -> None:
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
        self.journey: Journey | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="journey-work")
        self._posted.connect(self._run_posted)

    def attach(self, journey: Journey) -> None:
        self.journey = journey
        self.window.acted.connect(journey.act)
        self.window.touched.connect(journey.touch)

    # ----- JourneyHost -----------------------------------------------------------

    def show(self, view: View) -> None:
        self.window.render(view)
        self.viewed.emit(view)

    def preview(self, frame: Frame, overlay: Mapping[str, Any]) -> None:
        if self.window.show_frame(frame, overlay):
            self.framed.emit()

    def post(self, fn: Callable[[], None]) -> None:
        self._posted.emit(fn)  # queued to the main thread when emitted elsewhere

    def run_in_background(self, work: Callable[[], Any],
                          done: Callable[[Any, BaseException | None], None]) -> None:
        def runner() -> None:
            try:
                result, error = work(), None
            except BaseException as e:  # delivered to the journey, never lost
                result, error = None, e
            self.post(lambda: done(result, error))

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
        self.post(lambda: self.journey.on_device_status(name, status) if self.journey else None)

    @Slot(object)
    def _run_posted(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # one bad callback must not take the kiosk down
            log.exception("posted callback failed")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
