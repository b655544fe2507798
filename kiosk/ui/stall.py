"""How long the Qt event loop goes without turning: the stalls a citizen feels.

``StallMonitor`` runs a precise QTimer every ``period_ms`` on the UI thread and
measures, with ``time.perf_counter``, how late each turn comes: a turn that
comes 120 ms after the previous one, with a 5 ms period, is a 115 ms stall
(no tap, no repaint, no camera frame in that time). It keeps every turn's
lateness (p50, p99, max, how many over 50 ms) and the worst few stalls with
what was happening: the screen on show before and after (``context``, a
callable the caller passes) and the handlers that ran in the stall with their
durations, named by whoever runs them (``section``; ``QtHost`` names each
posted callback, view, action and camera frame when it has a monitor), and
where the time went: the UI thread's own CPU, waiting for a free core (a
busy machine), or waiting for the GIL while the process's other threads ran.

Why a timer and no watchdog thread: a stall that ends is always seen by the
timer (its next turn is late by exactly the stall), while a watchdog thread
needs the GIL to look, and PySide keeps the GIL through its C++ calls (a
``grab``, a stylesheet polish), so it would wake only after the stall it
should have caught, and its own GIL requests would slow the thread it
watches. What a timer misses is a stall that never ends (a deadlock): that is
a hang, not a latency, and the benchmark's own timeouts report it.

The monitor's own cost is one Python slot per turn (two clock reads, one
``pread`` of the thread's schedstat, an append, two comparisons; a few
microseconds): about 200 calls a second at 5 ms.
"""

from __future__ import annotations

import heapq
import itertools
import os
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

PERIOD_MS = 5
OVER_MS = 50.0  # a stall a citizen notices (a tap that does not answer at once)


@dataclass(frozen=True)
class Stall:
    ms: float  # how much later than its period the event loop turned again
    at_s: float  # when it ended, seconds after the first start (pauses included)
    before: str | None  # context() at the turn before the stall
    after: str | None  # context() at the turn that ended it
    # The named handlers that ran in it, (name, ms), longest first.
    ran: tuple[tuple[str, float], ...] = ()
    turn: int = 0  # the monitor's turn that ended it (see ``StallMonitor.mark``)
    # Where the time went (None where it cannot be told): the UI thread on a
    # core (``cpu_ms``), ready but with no core free (``queued_ms``: the machine
    # is busy), the rest waiting (for the GIL, mostly: see ``others_cpu_ms``,
    # what the process's other threads ran meanwhile).
    cpu_ms: float | None = None
    queued_ms: float | None = None
    others_cpu_ms: float | None = None

    @property
    def waited_ms(self) -> float | None:
        """Neither running nor queued for a core: blocked, on the GIL mostly."""
        if self.cpu_ms is None:
            return None
        return max(0.0, self.ms - self.cpu_ms - (self.queued_ms or 0.0))

    def describe(self) -> str:
        where = self.before if self.before == self.after else f"{self.before}→{self.after}"
        what = ", ".join(f"{name} {ms:.0f} ms" for name, ms in self.ran[:3]) or "no named handler"
        return f"{self.ms:7.1f} ms {self.split()}  [{where}]  {what}"

    def split(self) -> str:
        """'(cpu 40, queued 5, waited 30 | others 28)': where the time went, ms."""
        if self.cpu_ms is None:
            return ""
        queued = "" if self.queued_ms is None else f" queued {self.queued_ms:.0f},"
        return (f"(cpu {self.cpu_ms:.0f},{queued} waited {self.waited_ms:.0f}"
                f" | others {self.others_cpu_ms or 0:.0f})")


@dataclass(frozen=True)
class StallReport:
    seconds: float  # time measured (between start and stop)
    turns: int  # timer turns seen
    max_ms: float
    p50_ms: float
    p99_ms: float
    over_ms: float  # the threshold counted below
    over: int  # stalls longer than over_ms
    worst: tuple[Stall, ...]
    # Where the time of the stalls over over_ms went, summed, ms (None where
    # it cannot be told): the UI thread's CPU, queued for a core, waiting.
    over_total_ms: float = 0.0
    over_cpu_ms: float | None = None
    over_queued_ms: float | None = None
    over_waited_ms: float | None = None

    @property
    def over_per_min(self) -> float:
        return self.over * 60.0 / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["over_per_min"] = round(self.over_per_min, 3)
        for key in ("seconds", "max_ms", "p50_ms", "p99_ms", "over_total_ms", "over_cpu_ms",
                    "over_queued_ms", "over_waited_ms"):
            d[key] = None if d[key] is None else round(d[key], 3)
        d["worst"] = [{"ms": round(s.ms, 1), "at_s": round(s.at_s, 2), "before": s.before,
                       "after": s.after, "ran": [[n, round(ms, 1)] for n, ms in s.ran],
                       **{k: None if v is None else round(v, 1) for k, v in (
                           ("cpu_ms", s.cpu_ms), ("queued_ms", s.queued_ms),
                           ("waited_ms", s.waited_ms), ("others_cpu_ms", s.others_cpu_ms))}}
                      for s in self.worst]
        return d


def percentile(values: Any, q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank; 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def name_of(label: object) -> str:
    """A handler's name: a string as it is; a function by its qualified name
    without ``<locals>``; a lambda that only forwards to ``fn`` (a step's
    ``ctx.post``) by what it forwards to."""
    if isinstance(label, str):
        return label
    for _ in range(4):  # unwrap forwarding lambdas
        code = getattr(label, "__code__", None)
        closure = getattr(label, "__closure__", None)
        if code is None or code.co_name != "<lambda>" or not closure:
            break
        inner = dict(zip(code.co_freevars, closure, strict=False)).get("fn")
        if inner is None or not callable(inner.cell_contents):
            break
        label = inner.cell_contents
    name = getattr(label, "__qualname__", None) or type(label).__qualname__
    return name.replace("<locals>.", "")


Clocks = Callable[[], tuple[float, float | None, float]]


class ThreadClocks:
    """The calling thread's CPU seconds and seconds queued for a core (Linux's
    schedstat, read with one ``pread``; queued is None elsewhere), and the
    whole process's CPU seconds. Open it on the thread to be measured."""

    def __init__(self) -> None:
        self._fd: int | None = None
        with suppress(OSError):
            self._fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)

    def __call__(self) -> tuple[float, float | None, float]:
        if self._fd is not None:
            try:
                run, queued = os.pread(self._fd, 64, 0).split()[:2]
                return int(run) / 1e9, int(queued) / 1e9, time.process_time()
            except (OSError, ValueError):
                pass
        return time.thread_time(), None, time.process_time()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class StallMonitor(QObject):
    """Measures the UI thread's event loop between ``start`` and ``stop``.

    ``context``: what is on show (a screen name), asked at every turn, so it
    must be cheap; ``keep``: how many of the worst stalls to describe;
    ``clock``: seconds, ``time.perf_counter``; ``clocks``: where the time goes
    (``ThreadClocks``, opened on the UI thread at ``start``; ``None``: not
    told). Tests pass fakes and call ``turn`` themselves. ``start`` after
    ``stop`` goes on adding to the same figures (the time in between is not
    measured); ``reset`` forgets them.
    """

    def __init__(self, *, period_ms: int = PERIOD_MS, context: Callable[[], Any] | None = None,
                 keep: int = 10, over_ms: float = OVER_MS,
                 clock: Callable[[], float] = time.perf_counter,
                 clocks: Callable[[], Clocks] | None = ThreadClocks,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.period_ms = period_ms
        self.context = context
        self.keep = keep
        self.over_ms = over_ms
        self.clock = clock
        self._make_clocks = clocks
        self._clocks: Clocks | None = None
        self._last_cpu: tuple[float, float | None, float] = (0.0, None, 0.0)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(period_ms)
        self._timer.timeout.connect(self.turn)
        self._period_s = period_ms / 1000.0
        self._last: float | None = None
        self._last_context: Any = None
        self._started_at: float | None = None
        self._measured_s = 0.0
        self._first: float | None = None
        self.reset()

    def reset(self) -> None:
        self._late = array("d")  # every turn's lateness, ms
        self._worst: list[tuple[float, int, Stall]] = []
        # (turn, ms, cpu, queued) of every stall over over_ms
        self._over: list[tuple[int, float, float | None, float | None]] = []
        self._seq = itertools.count()
        self._ran: list[tuple[object, float]] = []  # handlers ended since the last turn
        self._open: list[tuple[object, float]] = []
        self._measured_s = 0.0
        self._first = None

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self._timer.isActive():
            return
        now = self.clock()
        if self._first is None:
            self._first = now
        self._started_at = self._last = now
        if self._make_clocks is not None and self._clocks is None:
            self._clocks = self._make_clocks()
        self._last_cpu = self._cpu()
        self._last_context = self._ask()
        self._ran.clear()
        self._timer.start()

    def stop(self) -> StallReport:
        """Stop measuring (a stall still under way is counted) and report."""
        if self._timer.isActive():
            self._timer.stop()
            self.turn()
            if self._started_at is not None:
                self._measured_s += self.clock() - self._started_at
            self._started_at = self._last = None
        close = getattr(self._clocks, "close", None)
        if close is not None:
            close()
        self._clocks = None
        return self.report()

    # ----- naming what runs on the UI thread ---------------------------------

    def enter(self, label: object) -> None:
        """A handler starts (``label``: a name, or a function named lazily)."""
        self._open.append((label, self.clock()))

    def leave(self) -> None:
        if self._open:
            label, began = self._open.pop()
            self._ran.append((label, self.clock() - began))

    @contextmanager
    def section(self, label: object) -> Iterator[None]:
        self.enter(label)
        try:
            yield
        finally:
            self.leave()

    # ----- the timer ------------------------------------------------------------

    def turn(self) -> None:
        """One turn of the event loop: how late is it?"""
        now = self.clock()
        last = self._last
        if last is None:
            return
        self._last = now
        late_ms = (now - last - self._period_s) * 1000.0
        if late_ms < 0.0:
            late_ms = 0.0
        self._late.append(late_ms)
        context = self._ask()
        cpu = self._cpu()
        if late_ms > self.over_ms:
            own, queued, _ = self._split(self._last_cpu, cpu)
            self._over.append((len(self._late), late_ms, own, queued))
        if late_ms > 2 * self.period_ms and (len(self._worst) < self.keep
                                             or late_ms > self._worst[0][0]):
            stall = Stall(late_ms, now - (self._first or now), self._last_context, context,
                          self._named(self._ran, now), len(self._late),
                          *self._split(self._last_cpu, cpu))
            entry = (late_ms, next(self._seq), stall)
            if len(self._worst) < self.keep:
                heapq.heappush(self._worst, entry)
            else:
                heapq.heapreplace(self._worst, entry)
        self._ran.clear()
        self._last_context = context
        self._last_cpu = cpu

    def _cpu(self) -> tuple[float, float | None, float]:
        return (0.0, None, 0.0) if self._clocks is None else self._clocks()

    def _split(self, before: tuple[float, float | None, float],
               after: tuple[float, float | None, float]
               ) -> tuple[float | None, float | None, float | None]:
        if self._clocks is None:
            return None, None, None
        own = (after[0] - before[0]) * 1000.0
        queued = None if after[1] is None or before[1] is None else \
            (after[1] - before[1]) * 1000.0
        return own, queued, max(0.0, (after[2] - before[2]) * 1000.0 - own)

    def _ask(self) -> Any:
        if self.context is None:
            return None
        try:
            found = self.context()
        except Exception:  # the monitor must never take the UI down
            return None
        return None if found is None else str(found)

    def _named(self, ran: list[tuple[object, float]], now: float
               ) -> tuple[tuple[str, float], ...]:
        # Handlers still open (a nested loop) count until now.
        entries = [*ran, *((label, now - began) for label, began in self._open)]
        named = [(name_of(label), s * 1000.0) for label, s in entries if s * 1000.0 >= 1.0]
        return tuple(sorted(named, key=lambda e: -e[1])[:6])

    # ----- figures ----------------------------------------------------------------

    def mark(self) -> tuple[int, float]:
        """Where the figures are now: ``report(since=mark)`` reports what came after."""
        return len(self._late), self._measured()

    def _measured(self) -> float:
        measured = self._measured_s
        if self._started_at is not None:
            measured += self.clock() - self._started_at
        return measured

    def report(self, since: tuple[int, float] = (0, 0.0)) -> StallReport:
        """The figures since ``since`` (a ``mark``; all of them by default). The
        worst stalls are the worst ``keep`` of all, those after the mark."""
        first, measured_before = since
        late = self._late[first:]
        worst = tuple(s for _, _, s in sorted(self._worst, key=lambda e: (-e[0], e[1]))
                      if s.turn > first)
        over = [o for o in self._over if o[0] > first]
        total = sum(o[1] for o in over)
        told = self._clocks is not None or self._make_clocks is not None
        cpu = sum(o[2] or 0.0 for o in over) if told else None
        queued = sum(o[3] or 0.0 for o in over) if told else None
        return StallReport(
            seconds=self._measured() - measured_before, turns=len(late),
            max_ms=max(late, default=0.0), p50_ms=percentile(late, 0.50),
            p99_ms=percentile(late, 0.99), over_ms=self.over_ms, over=len(over), worst=worst,
            over_total_ms=total, over_cpu_ms=cpu, over_queued_ms=queued,
            over_waited_ms=None if cpu is None else max(0.0, total - cpu - (queued or 0.0)))
