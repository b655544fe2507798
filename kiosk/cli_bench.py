"""``kiosk bench [--json|--markdown] [--only NAME ...] [--skip NAME ...] [--quick]``:
every benchmark of the project in one report, each figure beside its baseline
run in the same process, as ratios, with the machine it ran on.

The benchmarks are not part of the installed package: they live in the
repository's ``benchmarks/`` (they need the sandbox, test data from the shared
repository, pcscd, persist-queue, none of which a terminal carries). The kiosk
is installed editable from its clone (``./run`` does ``pip install -e``), so
the folder is found beside the ``kiosk`` package; from any other install the
command says so. Each benchmark runs in a child process of its own
(``benchmarks/bench_suite.py``): its figure and its baseline share that
process, and no benchmark's leftovers (a Qt application, worker processes,
threads) weigh on the next one's figures.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import package_version

RATIO = ("figure / baseline, both measured in the same process; every figure is a cost "
         "(lower is better), so a ratio below 1 means the kiosk costs less than its baseline")
# A benchmark that gives no report in this time is killed and reported as failed:
# the full stall benchmark takes about five minutes, the slowest quick one seconds.
TIMEOUT_S = {False: 1800.0, True: 300.0}
PACKAGES = ("PySide6-Essentials", "reportlab", "dlib-bin", "opencv-python-headless",
            "requests", "pyscard", "persist-queue")


def add_bench_commands(sub: Any) -> None:
    bench = sub.add_parser(
        "bench", help="every benchmark, each figure beside its baseline, as ratios",
        description="Run the benchmarks of benchmarks/ (each in its own process, its "
                    "baseline in the same one) and report figure, baseline and ratio "
                    "with the machine they ran on.")
    out = bench.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the report as JSON")
    out.add_argument("--markdown", action="store_true",
                     help="the table as Markdown (for docs/performance.md)")
    bench.add_argument("--only", nargs="+", action="extend", metavar="NAME", default=[],
                       help="run only these (a file's name in benchmarks/, without .py)")
    bench.add_argument("--skip", nargs="+", action="extend", metavar="NAME", default=[],
                       help="report these as skipped without running them")
    bench.add_argument("--quick", action="store_true",
                       help="a fast smoke form: small sizes, figures not meant to be kept")
    bench.set_defaults(func=_bench)


def benchmarks_dir() -> Path | None:
    """``benchmarks/`` of the clone the kiosk is installed from, if there is one."""
    import kiosk

    folder = Path(kiosk.__file__).resolve().parent.parent / "benchmarks"
    return folder if (folder / "bench_suite.py").is_file() else None


def available(folder: Path) -> dict[str, str]:
    """The suite's benchmarks (name -> what it compares), read from bench_suite.py."""
    spec = importlib.util.spec_from_file_location("kiosk_bench_suite", folder / "bench_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.BENCHMARKS)


def _bench(args: argparse.Namespace) -> int:
    folder = benchmarks_dir()
    if folder is None:
        print("kiosk bench: the benchmarks are not installed with the kiosk; run it from a "
              "clone of the repository (./run kiosk bench)", file=sys.stderr)
        return 2
    names = available(folder)
    unknown = [n for n in [*args.only, *args.skip] if n not in names]
    if unknown:
        print(f"kiosk bench: no benchmark named {', '.join(unknown)}; there are: "
              f"{', '.join(names)}", file=sys.stderr)
        return 2
    chosen = [n for n in names if not args.only or n in args.only]
    report = {"kiosk_bench": 1, "date": datetime.now(UTC).isoformat(timespec="seconds"),
              "quick": args.quick, "machine": machine(), "kiosk": kiosk_source(folder.parent),
              "ratio": RATIO, "benchmarks": []}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as work:
        for name in chosen:
            if name in args.skip:
                result = unmeasured(name, names[name], "skipped", "skipped on request (--skip)")
            else:
                print(f"kiosk bench: {name}: {names[name]} ...", file=sys.stderr, flush=True)
                result = run_one(folder, name, args.quick, Path(work))
                print(f"kiosk bench: {name}: {result['status']} in {result['seconds']} s"
                      f"{': ' + result['reason'] if result['reason'] else ''}",
                      file=sys.stderr, flush=True)
            report["benchmarks"].append(result)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif args.markdown:
        print(markdown(report))
    else:
        print(table(report))
    return 1 if any(b["status"] == "failed" for b in report["benchmarks"]) else 0


def run_one(folder: Path, name: str, quick: bool, work: Path) -> dict[str, Any]:
    """One benchmark in a child process; its report, or a failed one saying why."""
    home, tmp, out = work / name / "home", work / name / "tmp", work / f"{name}.json"
    tmp.mkdir(parents=True)
    # Its own data directory (no terminal's state is touched) and temporary folder
    # (what a benchmark leaves there goes with ours); Qt offscreen, as measured in
    # docs/performance.md, and never a window on the engineer's desktop.
    env = {**os.environ, "KIOSK_HOME": str(home), "TMPDIR": str(tmp),
           "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, str(folder / "bench_suite.py"), name, "--out", str(out),
               *(["--quick"] if quick else [])]
    start = time.monotonic()
    # Its output is progress for a person: to our stderr, so stdout stays the report.
    # A session of its own, so a hung benchmark is killed with what it started.
    proc = subprocess.Popen(command, cwd=folder.parent, env=env, stdin=subprocess.DEVNULL,
                            stdout=sys.stderr, stderr=sys.stderr, start_new_session=True)
    try:
        code = proc.wait(TIMEOUT_S[quick])
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    if out.is_file():
        return json.loads(out.read_text(encoding="utf-8"))
    why = (f"no report in {TIMEOUT_S[quick]:.0f} s: killed" if code is None
           else f"exited with code {code} without a report")
    return unmeasured(name, "", "failed", why, seconds=round(time.monotonic() - start, 1))


def unmeasured(name: str, title: str, status: str, reason: str, *,
               seconds: float = 0.0) -> dict[str, Any]:
    """The report of a benchmark that gave no figures (skipped, failed), in the
    shape each benchmark's own process writes (benchmarks/bench_suite.py::run)."""
    return {"name": name, "title": title, "status": status, "reason": reason,
            "seconds": seconds, "params": {}, "figures": []}


def machine() -> dict[str, Any]:
    """What the figures were measured on: they move with the machine and its load."""
    return {
        "cpu": _cpuinfo() or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": _os_release() or platform.system(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "packages": {name: package_version(name) for name in PACKAGES},
    }


def kiosk_source(root: Path) -> dict[str, Any]:
    """The kiosk's version and, from git, the commit the benchmarks ran on."""
    source: dict[str, Any] = {"version": package_version(), "commit": None,
                              "uncommitted_changes": None}
    git = shutil.which("git")
    if git is None:
        return source
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run([git, "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode == 0:
            source["commit"] = head.stdout.strip()
            status = subprocess.run([git, "-C", str(root), "status", "--porcelain"],
                                    capture_output=True, text=True, timeout=30)
            source["uncommitted_changes"] = bool(status.stdout.strip())
    return source


def _cpuinfo() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _ram_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


def _os_release() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return None




# --- the report as text ---------------------------------------------------------------


def num(x: float | None) -> str:
    """A figure with as many digits as are worth reading."""
    if x is None:
        return "-"
    if isinstance(x, int) or abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


def ratio_text(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def header(report: dict[str, Any]) -> list[str]:
    m, k = report["machine"], report["kiosk"]
    commit = (k["commit"][:10] if k["commit"] else "unknown commit") + (
        " + uncommitted changes" if k["uncommitted_changes"] else "")
    load = " ".join(f"{x:.2f}" for x in m["load_average"])
    return [f"kiosk bench{' --quick' if report['quick'] else ''}, {report['date']}, "
            f"kiosk {k['version']} ({commit})",
            f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; {m['os']}; "
            f"{m['python']}; load average at start {load}",
            f"ratio = {report['ratio']}"]


def table(report: dict[str, Any]) -> str:
    lines = [*header(report), ""]
    for b in report["benchmarks"]:
        lines.append(f"{b['name']} ({b['seconds']} s): {b['title']}")
        if b["status"] != "ok":
            lines += [f"    {b['status']}: {b['reason']}", ""]
            continue
        lines.append(f"    {'ratio':>7} {'kiosk':>9} {'baseline':>9}  unit")
        for f in b["figures"]:
            lines.append(f"    {ratio_text(f['ratio']):>7} {num(f['figure']):>9} "
                         f"{num(f['baseline']):>9}  {f['unit']:<11} {f['name']}")
            # Under the figure's name: what it is compared with, and any notes.
            lines.append(f"{'':>45}vs {f['baseline_name']}")
            if f["notes"]:
                lines.append(f"{'':>45}{f['notes']}")
        lines.append("")
    return "\n".join(lines).rstrip()


def markdown(report: dict[str, Any]) -> str:
    lines = [f"{line}  " for line in header(report)]
    lines += ["", "| benchmark | figure | kiosk | baseline | ratio |",
              "| --- | --- | --- | --- | --- |"]
    for b in report["benchmarks"]:
        if b["status"] != "ok":
            lines.append(f"| {b['name']} | {b['status']}: {b['reason']} | | | |")
        for f in b["figures"]:
            notes = f" ({f['notes']})" if f["notes"] else ""
            lines.append(f"| {b['name']} | {f['name']}{notes} | {num(f['figure'])} {f['unit']} "
                         f"| {num(f['baseline'])} {f['unit']}: {f['baseline_name']} "
                         f"| {ratio_text(f['ratio'])} |")
    return "\n".join(lines)
