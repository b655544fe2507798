"""The journey's timers on Qt (``QtHost.call_later``) leave nothing behind:
a soak found PySide keeping a weak reference for every timer connected to a
bound method of a plain Python object (the journey's idle timer is re-armed
at every tap), and a fired timer nobody cancelled stayed a child of the host."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent, QTimer

from kiosk.ui.bridge import QtHost


class Idle:
    """Like the journey: a plain object whose bound method a timer calls."""

    def __init__(self) -> None:
        self.fired = 0

    def timed_out(self) -> None:
        self.fired += 1


def weakrefs_to(target: object) -> int:
    return weakref.getweakrefcount(target)


def test_timers_armed_and_cancelled_keep_no_reference_to_their_callee(qtbot) -> None:
    host, idle = QtHost(window=None), Idle()
    for _ in range(200):
        host.call_later(60, idle.timed_out).cancel()  # re-armed at every tap
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert weakrefs_to(idle) == 0
    assert host.findChildren(QTimer) == []
    host.shutdown()


def test_a_fired_timer_runs_once_and_goes_and_a_late_cancel_is_harmless(qtbot) -> None:
    host, idle = QtHost(window=None), Idle()
    timers = [host.call_later(0.001, idle.timed_out) for _ in range(5)]
    qtbot.waitUntil(lambda: idle.fired == 5, timeout=5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert host.findChildren(QTimer) == []
    for timer in timers:
        timer.cancel()  # what the journey does when it re-arms after a timeout
    gc.collect()
    assert idle.fired == 5 and weakrefs_to(idle) == 0
    host.shutdown()
