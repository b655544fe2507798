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
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_result import Figure, Measured

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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


def _parser() -> argparse.ArgumentParser:
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
    return parser


def main() -> int:
    parser = _parser()
    args = parser.parse_args()
    services = _services(args.services, parser)
    reports, outcomes, result, profiled = run(args, services)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        table(reports, result)
    if profiled is not None:
        profiled[0].print()
        profiled[1].print(reports["journeys"])
    failed = [s for s, o in outcomes.items() if o["outcome"] != "completed"]
    return 1 if failed else 0


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``): every service (the quick form:
    the card check alone), each followed by its share of idle and attract time."""
    argv = ["--services", "dsi.card-check", "--baseline-share", "0.5"] if quick else [
        "--services", "all"]
    parser = _parser()
    args = parser.parse_args(argv)
    reports, outcomes, result, _ = run(args, _services(args.services, parser))
    failed = {s: o["reason"] for s, o in outcomes.items() if o["outcome"] != "completed"}
    if failed:
        raise RuntimeError(f"journeys did not complete: {failed}")
    j, idle, attract = reports["journeys"], reports["idle"], reports["attract"]
    base = "the same kiosk idle on its attract screen, interleaved"
    seconds = f"{j.seconds:.0f} s of journeys, {idle.seconds:.0f} s idle"
    return Measured([
        Figure("Qt event loop during whole journeys: longest stall", round(j.max_ms, 1), "ms",
               round(idle.max_ms, 1), base, seconds),
        Figure("Qt event loop during whole journeys: p99 stall", round(j.p99_ms, 2), "ms",
               round(idle.p99_ms, 2), base),
        Figure("Qt event loop during whole journeys: p50 stall", round(j.p50_ms, 2), "ms",
               round(idle.p50_ms, 2), base),
        Figure("Qt event loop during whole journeys: stalls over 50 ms", j.over, "stalls",
               idle.over, base, "the aim (issue 8): none; no ratio when idle has none"),
        Figure("Qt event loop, attract screen redrawn at tap pace: longest stall",
               round(attract.max_ms, 1), "ms", round(idle.max_ms, 1), base,
               f"{attract.seconds:.0f} s of redraws"),
    ], {"services": result["services"] if quick else f"all {len(result['services'])}",
        "tap_delay_s": args.tap_delay, "baseline_share": args.baseline_share,
        "sandbox": result["sandbox"], "wall_s": result["wall_s"]})


def _services(chosen: str, parser: argparse.ArgumentParser) -> list[str]:
    from kiosk.services.registry import load_services

    every = sorted(load_services().services)
    if chosen == "all":
        services = every
    elif chosen == "representative":
        services = list(REPRESENTATIVE)
    elif chosen.isdigit():
        n = int(chosen)
        services = list(REPRESENTATIVE[:n]) + [s for s in every if s not in REPRESENTATIVE]
        services = services[:n]
    else:
        services = chosen.split(",")
    unknown = set(services) - set(every)
    if unknown:
        parser.error(f"no such service: {', '.join(sorted(unknown))}")
    return services


def run(args: argparse.Namespace, services: list[str]) -> tuple[
        dict[str, Any], dict[str, Any], dict[str, Any], tuple[Any, Any] | None]:
    """The journeys and their baseline: the monitors' reports, each service's
    outcome, the figures (``figures``) and, with --profile, the profilers."""
    from PySide6.QtCore import QTimer
    from sandbox_gateway import sandbox_process

    from kiosk.app import build_terminal
    from kiosk.config import Config
    from kiosk.ui.autopilot import Autopilot
    from kiosk.ui.run import application, build_kiosk, watch_backend
    from kiosk.ui.stall import StallMonitor
    from kiosk.ui.theme import DESIGN_SIZE

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
    profiled = None
    if args.profile:
        from stall_profile import Profiled, ThreadCpu

        profiled = Profiled(monitors["journeys"], 50.0), ThreadCpu(monitors["journeys"])
        profiled[1].watch(kiosk)

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
    return reports, outcomes, result, profiled


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
