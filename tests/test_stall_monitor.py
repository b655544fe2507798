"""The event-loop stall monitor: it sees a stall on the UI thread and names it.

No assertion here depends on how fast the machine is: the arithmetic is
checked on a fake clock, and on the real event loop only that a deliberate
120 ms busy wait is seen as at least 100 ms and attributed to its handler.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from kiosk.ui.stall import StallMonitor, name_of, percentile


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_that_turns_on_time_has_no_stall(qapp) -> None:
    clock = FakeClock()
    monitor = StallMonitor(period_ms=5, clock=clock, clocks=None)
    monitor.start()
    for _ in range(1000):
        clock.now += 0.005
        monitor.turn()
    report = monitor.report()
    assert report.turns == 1000
    assert report.max_ms < 1e-6 and report.p99_ms < 1e-6
    assert report.over == 0 and report.worst == ()
    monitor.stop()


def test_lateness_percentiles_and_the_worst_stalls_with_what_ran(qapp) -> None:
    clock = FakeClock()
    screens = iter(["catalog"] * 50 + ["form"] * 10_000)
    monitor = StallMonitor(period_ms=5, clock=clock, clocks=None, keep=2,
                           context=lambda: next(screens))
    monitor.start()
    for n in range(200):
        if n in (10, 60, 120):
            ms = {10: 30, 60: 120, 120: 70}[n]
            monitor.enter("show:form")
            clock.now += ms / 1000
            monitor.leave()
        clock.now += 0.005
        monitor.turn()
    report = monitor.report()
    assert report.turns == 200
    assert round(report.max_ms) == 120 and report.over == 2
    assert report.p50_ms < 1e-6
    # Only the two worst are described, the worst first, with what ran in them.
    assert [round(s.ms) for s in report.worst] == [120, 70]
    worst = report.worst[0]
    assert (worst.before, worst.after) == ("form", "form")
    assert worst.ran[0][0] == "show:form" and round(worst.ran[0][1]) == 120
    # A mark reports only what came after it.
    mark = monitor.mark()
    clock.now += 0.005
    monitor.turn()
    assert monitor.report(mark).turns == 1 and monitor.report(mark).worst == ()


def test_where_a_stalls_time_went(qapp) -> None:
    clock = FakeClock()
    # (UI thread's CPU s, its seconds queued for a core, the process's CPU s)
    used = {"cpu": 0.0, "queued": 0.0, "process": 0.0}
    monitor = StallMonitor(period_ms=5, clock=clock, clocks=lambda: lambda: (
        used["cpu"], used["queued"], used["process"]))
    monitor.start()
    clock.now += 0.105  # a 100 ms stall: 30 ms on a core, 20 queued, 50 waiting
    used.update(cpu=0.030, queued=0.020, process=0.070)  # another thread ran 40 ms
    monitor.turn()
    report = monitor.stop()
    stall = report.worst[0]
    assert round(stall.ms) == 100
    assert (round(stall.cpu_ms), round(stall.queued_ms), round(stall.waited_ms),
            round(stall.others_cpu_ms)) == (30, 20, 50, 40)
    assert report.over == 1 and round(report.over_waited_ms) == 50


def test_handlers_are_named_without_locals_and_through_forwarding_lambdas() -> None:
    def work() -> None: ...

    def post(fn):  # as StepEntry.post wraps what a step posts
        return lambda: fn()

    assert name_of("act:confirm") == "act:confirm"
    assert name_of(work).endswith("test_handlers_are_named_without_locals_and_"
                                  "through_forwarding_lambdas.work")
    assert name_of(post(work)) == name_of(work)
    assert percentile([], 0.5) == 0.0 and percentile([1, 2, 3], 0.99) == 3


def test_a_busy_handler_on_the_ui_thread_is_caught_and_named(qtbot) -> None:
    monitor = StallMonitor(context=lambda: "attract")

    def busy() -> None:
        with monitor.section("busy-wait"):
            end = time.perf_counter() + 0.120
            while time.perf_counter() < end:
                pass

    monitor.start()
    QTimer.singleShot(100, busy)
    qtbot.wait(400)
    report = monitor.stop()
    assert report.turns > 0 and report.max_ms >= 100
    caught = [s for s in report.worst if s.ms >= 100]
    assert caught, report.worst
    stall = caught[0]
    assert stall.ran and stall.ran[0][0] == "busy-wait" and stall.ran[0][1] >= 119
    assert stall.after == "attract"
    # The busy wait was the UI thread's own work, not a wait for another thread.
    assert stall.cpu_ms is not None and stall.cpu_ms > 0
