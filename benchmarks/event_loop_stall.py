"""The longest stalls of the Qt event loop during full journeys, beside an idle kiosk's.

A demo terminal on simulated devices (the demo's own pace: card read 0.8 s,
camera 12 fps, printer 0.8 s a page, every document really rendered and kept
as a PDF) runs the autopilot through whole services, one after the other, on
the real UI (offscreen), with the outbox's sync worker and the connectivity
monitor running. The sandbox gateway runs as its own process, as the real
gateway is another machine (``--embedded-sandbox``: in this process, as
``kiosk demo`` runs it). A ``StallMonitor`` (kiosk/ui/stall.py: a 5 ms precise
QTimer, lateness by perf_counter) measures every journey.

Baseline, in the same process and interleaved with the journeys so machine
noise falls on both alike: after each service, the same monitor over the same
kiosk on its attract screen, for a share of that journey's time, half of it
with nothing happening ("idle") and half redrawing the attract screen at the
autopilot's tap pace ("attract"). The table gives the journeys' figures as
ratios to the idle baseline's.

    .venv/bin/python benchmarks/event_loop_stall.py [--services N|all|ID,ID] [--json]
        [--baseline-share 1.0] [--profile]

The default is a representative set (card, face, lookups, a form on the
keyboard, an SMS code, payment, the outbox, every kind of printout); ``all``
runs the 28 services (about five minutes with the baseline).

``--profile``: cProfile every handler the host runs on the UI thread and, for
those that took over 50 ms, print the functions they spent it in; and say
which other threads ran in each of the worst stalls, and what work they were
doing (a stall the UI thread spent waiting for the GIL). The figures of a
profiled run are inflated by the profiler; take them from a plain run.

What-if, to measure a fix before it is made: ``--switch-interval MS``. (Two
earlier what-ifs became fixes: the lock-down and touch filters moved from the
whole application to the window's QWindow, and the kiosk warms the pinyin table
and document fonts up at start.)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TERMINAL, TOKEN = "demo-terminal-01", "sandbox-demo-token"
# Together they read the card, check the face, look up and submit to the
# gateway, take a payment, ask for an SMS code, queue to the outbox, and print
# every kind of document (vouchers, certificates, slips, receipts).
REPRESENTATIVE = (
    "ssm.voucher-print",  # card, face, lookup, issue, vouchers printed
    "dsi.criminal-record",  # card, face, form, payment, certificate and receipt
    "dsat.traffic-fines",  # card, lookup, choose, payment, receipt
    "ssm.voucher-transfer",  # card, face, SMS code, submit
    "fss.proof-of-life",  # card, face, outbox (queue), slip
    "safp.feedback",  # card, form on the keyboard, outbox
    "dsi.card-check",  # card verified on the kiosk only
)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="representative",
                        help="how many services (N), 'all', 'representative', or ids")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline-share", type=float, default=1.0,
                        help="baseline time per journey time (half idle, half attract)")
    parser.add_argument("--tap-delay", type=float, default=0.4,
                        help="seconds the citizen takes per tap (the CLI's autopilot: 0.4)")
    parser.add_argument("--embedded-sandbox", action="store_true",
                        help="the sandbox gateway in this process, as `kiosk demo` runs it")
    parser.add_argument("--switch-interval", type=float, metavar="MS",
                        help="sys.setswitchinterval for the run (Python's default: 5 ms)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the slow handlers (inflates the figures)")
    args = parser.parse_args()

    from PySide6.QtCore import QTimer
    from sandbox_gateway import sandbox_process

    from kiosk.app import build_terminal
    from kiosk.config import Config
    from kiosk.services.registry import load_services
    from kiosk.ui.autopilot import Autopilot
    from kiosk.ui.run import application, build_kiosk, watch_backend
    from kiosk.ui.stall import StallMonitor
    from kiosk.ui.theme import DESIGN_SIZE

    every = sorted(load_services().services)
    if args.services == "all":
        services = every
    elif args.services == "representative":
        services = list(REPRESENTATIVE)
    elif args.services.isdigit():
        n = int(args.services)
        services = list(REPRESENTATIVE[:n]) + [s for s in every if s not in REPRESENTATIVE]
        services = services[:n]
    else:
        services = args.services.split(",")
    unknown = set(services) - set(every)
    if unknown:
        parser.error(f"no such service: {', '.join(sorted(unknown))}")

    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval / 1000)
    work = Path(tempfile.mkdtemp(prefix="kiosk-stall-"))
    os.environ["KIOSK_HOME"] = str(work / "home")
    proc = None
    url = None
    if not args.embedded_sandbox:
        proc, url = sandbox_process(work / "gateway")
    app = application()
    terminal = build_terminal(Config(), backend_url=url)
    kiosk = build_kiosk(terminal, lang="zh-Hant")
    kiosk.window.setFixedSize(*DESIGN_SIZE)
    kiosk.window.show()
    sync = terminal.start_sync()
    connectivity = watch_backend(kiosk, terminal.connectivity_probe(),
                                 (lambda: sync.wake(retry_now=True)) if sync is not None
                                 else None)
    printed = Path(terminal.devices["printer"].out_dir)  # type: ignore[attr-defined]

    def screen() -> str | None:
        view = kiosk.window.view
        return view.screen if view is not None else None

    # The journeys keep more of their worst, so each service's worst is among them.
    monitors = {kind: StallMonitor(context=screen, keep=60 if kind == "journeys" else 12)
                for kind in ("journeys", "idle", "attract")}
    profiled = Profiled(monitors["journeys"], 50.0) if args.profile else None
    threads = ThreadCpu(monitors["journeys"]) if args.profile else None
    if threads is not None:
        threads.watch(kiosk)

    def measure(kind: str, seconds: float | None, begin: Any = None) -> float:
        """Run the event loop under ``kind``'s monitor until ``seconds`` pass (or
        the autopilot ends it); the seconds it ran."""
        monitor = monitors[kind]
        kiosk.host.monitor = monitor
        QTimer.singleShot(0, monitor.start)
        if begin is not None:
            QTimer.singleShot(0, begin)
        if seconds is not None:
            # exit, not quit: Qt 6's quit closes the windows first.
            QTimer.singleShot(int(seconds * 1000), lambda: app.exit(0))
        start = time.perf_counter()
        app.exec()
        monitor.stop()
        kiosk.host.monitor = None
        return time.perf_counter() - start

    # Redraw the attract screen from scratch at the citizen's pace.
    redraw = QTimer()
    redraw.setInterval(max(1, int(args.tap_delay * 1000)))

    def draw_attract() -> None:
        kiosk.window.view = None  # not "the same screen again": build it anew
        kiosk.journey.start()

    redraw.timeout.connect(draw_attract)

    # Warm up (imports, the first turns of the loop) outside the figures.
    measure("idle", 1.0)
    for kind in ("idle", "attract", "journeys"):
        monitors[kind].reset()

    outcomes: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        for service in services:
            mark = monitors["journeys"].mark()
            pilot = Autopilot(kiosk, service, work / "out" / service, lang="zh-Hant",
                              printed_dir=printed, tap_delay_s=args.tap_delay,
                              timeout_s=120.0, screenshots=False)
            took = measure("journeys", None, pilot.start)
            per = monitors["journeys"].report(mark)
            outcomes[service] = {"outcome": pilot.result.outcome, "reason": pilot.result.reason,
                                 "seconds": round(took, 2), "documents": len(
                                     pilot.result.documents),
                                 "max_ms": round(per.max_ms, 1), "over": per.over,
                                 "worst": per.worst[0].describe().strip() if per.worst else None}
            if not args.json:
                print(f"{service:<32} {pilot.result.outcome:<9} {took:5.1f} s  >50 ms: {per.over}"
                      f"  worst {outcomes[service]['worst']}  {pilot.result.reason or ''}",
                      file=sys.stderr)
            if kiosk.journey.session is not None:  # a failed run: back to attract
                kiosk.journey.end("cancelled")
            share = took * args.baseline_share / 2
            if share > 0:
                measure("idle", share)
                redraw.start()
                measure("attract", share)
                redraw.stop()
                kiosk.journey.start()
    finally:
        connectivity.stop()
        kiosk.host.shutdown()
        terminal.close()
        if proc is not None:
            proc.terminate()
            proc.wait(10)

    reports = {kind: m.report() for kind, m in monitors.items()}
    result = figures(reports, outcomes, services, time.perf_counter() - started, args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        table(reports, result)
    if profiled is not None and threads is not None:
        profiled.print()
        threads.print(reports["journeys"])
    failed = [s for s, o in outcomes.items() if o["outcome"] != "completed"]
    return 1 if failed else 0


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def figures(reports: dict[str, Any], outcomes: dict[str, Any], services: list[str],
            wall_s: float, args: argparse.Namespace) -> dict[str, Any]:
    j, idle = reports["journeys"], reports["idle"]
    return {
        "services": services,
        "sandbox": "embedded" if args.embedded_sandbox else "process",
        "tap_delay_s": args.tap_delay,
        "wall_s": round(wall_s, 1),
        "period_ms": 5,
        "switch_interval_ms": round(sys.getswitchinterval() * 1000, 3),
        **{kind: r.to_dict() for kind, r in reports.items()},
        "ratio_to_idle": {
            "max": _ratio(j.max_ms, idle.max_ms), "p99": _ratio(j.p99_ms, idle.p99_ms),
            "p50": _ratio(j.p50_ms, idle.p50_ms),
            "over_per_min": _ratio(j.over_per_min, idle.over_per_min),
        },
        "per_service": outcomes,
        "culprits": culprits(j),
    }


def culprits(report: Any) -> list[dict[str, Any]]:
    """The named handlers that led the journeys' stalls over 50 ms, by how often."""
    led: Counter[str] = Counter()
    for stall in report.worst:
        if stall.ms > report.over_ms:
            names = [name for name, _ in stall.ran]
            shown = [n for n in names[1:] if n.startswith("show:")][:1]
            led[" > ".join(names[:1] + shown) or "(no named handler)"] += 1
    return [{"handler": name, "stalls_over_50ms_led": n} for name, n in led.most_common()]


def table(reports: dict[str, Any], result: dict[str, Any]) -> None:
    idle = reports["idle"]
    print(f"\nservices: {', '.join(result['services'])}")
    print(f"sandbox gateway: {result['sandbox']}; wall {result['wall_s']} s; "
          f"timer period 5 ms; a stall = how late a turn came\n")
    print(f"{'run':<10}{'seconds':>9}{'turns':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'>50 ms':>8}{'/min':>7}   {'max/idle':>9}{'p99/idle':>9}")
    for kind, r in reports.items():
        ratios = (f"{_fmt(_ratio(r.max_ms, idle.max_ms)):>9}"
                  f"{_fmt(_ratio(r.p99_ms, idle.p99_ms)):>9}")
        print(f"{kind:<10}{r.seconds:>9.1f}{r.turns:>8}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.max_ms:>9.1f}{r.over:>8}{r.over_per_min:>7.1f}   {ratios}")
    print(f"\nwhere the time of the stalls over 50 ms went (GIL switch interval "
          f"{result['switch_interval_ms']} ms):")
    for kind, r in reports.items():
        if r.over and r.over_cpu_ms is not None:
            total = r.over_total_ms
            cpu, queued = r.over_cpu_ms / total, (r.over_queued_ms or 0) / total
            print(f"  {kind:<10} {total:7.0f} ms: UI thread's CPU {100 * cpu:3.0f} %, "
                  f"no free core {100 * queued:3.0f} %, "
                  f"waiting (GIL) {100 * (r.over_waited_ms or 0) / total:3.0f} %")
    for kind in ("journeys", "idle", "attract"):
        worst = reports[kind].worst
        if worst:
            print(f"\nworst stalls, {kind}:")
            for stall in worst[:12]:
                print(f"  {stall.describe()}")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    sys.exit(main())
