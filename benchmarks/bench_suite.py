"""Every benchmark of the project behind one entry point, for ``kiosk bench``.

Each benchmark module has ``bench(quick) -> Measured``: its figures, each
beside a baseline measured in the same process. ``kiosk bench`` runs each in a
child process of its own (this file, one name at a time), so that one
benchmark's Qt application, worker processes and threads cannot weigh on the
next one's figures, and a crash or a hang costs one benchmark, not the report.

    .venv/bin/python benchmarks/bench_suite.py NAME [--quick] [--out FILE.json]

This module stays light (nothing heavy is imported until a benchmark runs):
``kiosk bench`` reads BENCHMARKS from it to check the names it is given.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# name (its module here) -> what it compares; in the report's order.
BENCHMARKS: dict[str, str] = {
    "card_read": "an ID-card read and verify over PC/SC vs its raw APDUs (needs pcscd)",
    "event_loop_stall": "Qt event-loop stalls during whole journeys vs an idle kiosk",
    "face_bench": "the face engine per frame vs the naive way; the UI's worst gap",
    "outbox_bench": "the outbox's durable enqueue and replay vs raw sqlite3, "
                    "persist-queue, direct submits",
    "render_bench": "voucher rendering vs a naive render and a plain reportlab page",
    "sandbox_gateway": "the gateway client vs the same calls with plain requests",
}


def run(name: str, quick: bool) -> dict[str, Any]:
    """One benchmark's report: status ok (with figures), skipped or failed (with why)."""
    from bench_result import Skip

    report: dict[str, Any] = {"name": name, "title": BENCHMARKS[name], "status": "ok",
                              "reason": None, "seconds": None, "params": {}, "figures": []}
    start = time.perf_counter()
    try:
        measured = importlib.import_module(name).bench(quick=quick)
    except Skip as skip:
        report.update(status="skipped", reason=str(skip))
    except (Exception, SystemExit) as error:  # some benchmarks stop with SystemExit(why)
        traceback.print_exc()
        report.update(status="failed", reason=f"{type(error).__name__}: {error}")
    else:
        report.update(params=measured.params, figures=[f.to_dict() for f in measured.figures])
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("--quick", action="store_true", help="the fast smoke form")
    parser.add_argument("--out", type=Path, help="write the report here (default: stdout)")
    args = parser.parse_args(argv)
    report = run(args.name, args.quick)
    text = json.dumps(report, ensure_ascii=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 1 if report["status"] == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
