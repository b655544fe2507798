"""Voucher rendering: the kiosk's cached path against a naive render, in one process.

"Naive" registers the fonts (parsing the TrueType files) before every render,
as code without a font cache would; "kiosk" is ``render_vouchers`` as the kiosk
calls it, with fonts registered once. Both render the same six demo vouchers.
Prints a table and a JSON line: medians in milliseconds and their ratio.

    .venv/bin/python benchmarks/render_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from kiosk.documents import fonts
from kiosk.documents.fonts import split_runs


def _kiosk() -> bytes:
    from kiosk.cli_print import sample_pdf

    return sample_pdf("voucher", "pt")  # six vouchers, two pages


def _naive() -> bytes:
    # Forget every cache a fresh renderer would not have: fonts, then text runs.
    fonts.register_fonts.cache_clear()
    if hasattr(split_runs, "cache_clear"):
        split_runs.cache_clear()
    return _kiosk()


def _times(render: Callable[[], bytes], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    _kiosk()  # warm up imports and the font cache
    # Interleave the two so machine noise falls on both alike.
    naive: list[float] = []
    kiosk: list[float] = []
    for _ in range(rounds):
        naive += _times(_naive, 1)
        kiosk += _times(_kiosk, 1)
    result = {
        "vouchers": 6,
        "rounds": rounds,
        "naive_median_ms": round(statistics.median(naive), 2),
        "kiosk_median_ms": round(statistics.median(kiosk), 2),
    }
    result["ratio"] = round(result["kiosk_median_ms"] / result["naive_median_ms"], 3)
    print(f"{'render':<8}{'median ms':>12}{'min ms':>10}{'max ms':>10}")
    for name, values in (("naive", naive), ("kiosk", kiosk)):
        row = f"{statistics.median(values):>12.1f}{min(values):>10.1f}{max(values):>10.1f}"
        print(f"{name:<8}{row}")
    print(f"ratio kiosk/naive: {result['ratio']:.3f} (target < 0.333)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
