"""What ``benchmarks/event_loop_stall.py --profile`` adds: cProfile of the slow
handlers of the UI thread, and which other threads ran in the worst stalls.
Kept apart from the benchmark itself, which never loads it without --profile."""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


class Profiled:
    """Wraps a monitor's ``enter``/``leave``: each outermost handler runs under
    cProfile, and the profiles of those that took over ``over_ms`` are kept,
    grouped by the handler and the views it drew."""

    def __init__(self, monitor: Any, over_ms: float) -> None:
        from kiosk.ui.stall import name_of

        self.monitor, self.over_ms, self._name = monitor, over_ms, name_of
        self._enter, self._leave = monitor.enter, monitor.leave
        self._depth = 0
        self._profile: cProfile.Profile | None = None
        self._began = 0.0
        self._labels: list[object] = []
        self.slow: dict[str, list[float]] = defaultdict(list)
        self.stats: dict[str, pstats.Stats] = {}
        monitor.enter, monitor.leave = self.enter, self.leave

    def enter(self, label: object) -> None:
        self._enter(label)
        self._depth += 1
        if self._depth == 1:
            self._labels, self._began = [label], time.perf_counter()
            self._profile = cProfile.Profile()
            self._profile.enable()
        else:
            self._labels.append(label)

    def leave(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._profile is not None:
            self._profile.disable()
            ms = (time.perf_counter() - self._began) * 1000
            if ms > self.over_ms:
                names = [self._name(label) for label in self._labels]
                shown = [n for n in names[1:] if n.startswith("show:")]
                name = " > ".join([names[0], *shown[-1:]])
                self.slow[name].append(ms)
                if name in self.stats:
                    self.stats[name].add(self._profile)
                else:
                    self.stats[name] = pstats.Stats(self._profile)
            self._profile = None
        self._leave()

    def print(self, out: Any = sys.stdout, top: int = 12) -> None:
        print(f"\nhandlers over {self.over_ms:.0f} ms, under cProfile (times inflated by it)",
              file=out)
        for name, times in sorted(self.slow.items(), key=lambda e: -sum(e[1])):
            raw = self.stats[name].stats  # type: ignore[attr-defined]
            total = sum(times) / 1000
            print(f"\n=== {name}: {len(times)} times, max {max(times):.0f} ms, "
                  f"mean {sum(times) / len(times):.0f} ms", file=out)
            print("  self time (the function's own, C++ calls included):", file=out)
            by_self = sorted(raw.items(), key=lambda e: -e[1][2])[:top]
            for (file, line, func), (_, calls, tt, _ct, _) in by_self:
                print(f"    {100 * tt / total:5.1f} %  {tt * 1000 / len(times):6.1f} ms/time  "
                      f"{calls:>5} calls  {_where(file, line, func)}", file=out)
            print("  kiosk functions, cumulative:", file=out)
            ours = [(k, v) for k, v in raw.items() if "/kiosk/" in k[0]
                    and not any(w in k[0] for w in ("bridge.py", "journey/", "stall.py",
                                                    "/steps/"))]
            for (file, line, func), (_, calls, _tt, ct, _) in sorted(
                    ours, key=lambda e: -e[1][3])[:top]:
                print(f"    {100 * ct / total:5.1f} %  {ct * 1000 / len(times):6.1f} ms/time  "
                      f"{calls:>5} calls  {_where(file, line, func)}", file=out)


class ThreadCpu:
    """With ``--profile``: which of the process's threads ran in each stall, and
    what work each was doing. Each turn of the monitor reads every thread's CPU
    time (Linux schedstat, one pread each); a stall keeps the difference."""

    def __init__(self, monitor: Any) -> None:
        from kiosk.ui.stall import name_of

        self._name = name_of
        self._fds: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.doing: dict[int, str] = {}  # thread -> the work it ran last
        self.ran: dict[int, list[tuple[str, float]]] = {}  # stall turn -> [(thread, ms)]
        self._before: dict[int, int] = {}
        self._turns = 0
        turn = monitor.turn
        monitor._timer.timeout.disconnect(turn)

        def measured_turn() -> None:
            worst_before = len(monitor._late)
            now = self.snapshot()
            turn()
            late = monitor._late
            if len(late) > worst_before and late[-1] > 2 * monitor.period_ms:
                ran = [(self.label(tid), (ns - self._before.get(tid, ns)) / 1e6)
                       for tid, ns in now.items()]
                self.ran[len(late)] = sorted((r for r in ran if r[1] >= 1.0),
                                             key=lambda r: -r[1])[:4]
            self._before = now

        monitor.turn = measured_turn
        monitor._timer.timeout.connect(measured_turn)

    def label(self, tid: int) -> str:
        name = self.names.get(tid, str(tid))
        return f"{name} ({self.doing[tid]})" if tid in self.doing else name

    def refresh(self) -> None:
        alive = {t.native_id: t.name for t in threading.enumerate() if t.native_id}
        main = threading.main_thread().native_id
        for tid, name in alive.items():
            if tid not in self._fds and tid != main:
                try:
                    self._fds[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
                except OSError:
                    continue
            self.names[tid] = name
        for tid in set(self._fds) - set(alive):
            os.close(self._fds.pop(tid))

    def snapshot(self) -> dict[int, int]:
        self._turns += 1
        if self._turns % 100 == 1:
            self.refresh()
        out = {}
        for tid, fd in self._fds.items():
            with contextlib.suppress(OSError, ValueError, IndexError):
                out[tid] = int(os.pread(fd, 64, 0).split()[0])
        return out

    def named(self, work: Any, device: str | None = None) -> Any:
        """``work`` that says, while it runs, what its thread is doing."""
        name = self._name(work) if device is None else f"{device}.{self._name(work)}"

        def run(*args: Any) -> Any:
            self.doing[threading.get_native_id()] = name
            return work(*args)

        run.__qualname__ = getattr(work, "__qualname__", name)  # the stall names the work
        return run

    def watch(self, kiosk: Any) -> None:
        """Name the host's background work and every device's."""
        from kiosk.devices.base import Device

        run_in_background = kiosk.host.run_in_background
        kiosk.host.run_in_background = lambda work, done: run_in_background(
            self.named(work), done)
        submit = Device.submit
        Device.submit = lambda device, fn, *a: submit(  # type: ignore[method-assign]
            device, self.named(fn, device.name), *a)

    def print(self, report: Any, out: Any = sys.stdout) -> None:
        print("\nthe other threads that ran in the journeys' worst stalls (CPU ms):", file=out)
        for stall in report.worst:
            ran = ", ".join(f"{name} {ms:.0f}" for name, ms in self.ran.get(stall.turn, []))
            print(f"  {stall.ms:6.1f} ms {stall.split()}  {ran or '-'}", file=out)


def _where(file: str, line: int, func: str) -> str:
    if file == "~":
        return func
    return f"{file.split('/kiosk/')[-1] if '/kiosk/' in file else Path(file).name}:{line} {func}"
