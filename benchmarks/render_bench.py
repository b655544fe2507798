"""Voucher rendering: the kiosk's cached path against a naive render and a plain
reportlab page, in one process.

"Naive" registers the fonts (parsing the TrueType files) before every render,
as code without a font cache would; "kiosk" is ``render_vouchers`` as the kiosk
calls it, with fonts registered once; "plain" draws the same texts and barcodes
of the same six vouchers straight on a reportlab canvas at fixed places, in the
same (registered) fonts, with none of the kiosk's layout: no script runs, no
fitting, no glyph checks. Naive is what the font cache saves; plain is the
floor of the page itself. Prints a table and a JSON line: medians in
milliseconds and their ratios.

    .venv/bin/python benchmarks/render_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench_result import Figure, Measured

from kiosk.documents import fonts
from kiosk.documents.fonts import split_runs

VOUCHERS = 6  # kiosk print sample voucher: six vouchers, two A4 pages


def _kiosk() -> bytes:
    from kiosk.cli_print import sample_pdf

    return sample_pdf("voucher", "pt")


def _naive() -> bytes:
    # Forget every cache a fresh renderer would not have: fonts, then text runs.
    fonts.register_fonts.cache_clear()
    if hasattr(split_runs, "cache_clear"):
        split_runs.cache_clear()
    return _kiosk()


def _plain() -> bytes:
    """The six sample vouchers' texts and Code 128 barcodes drawn with reportlab
    alone: four coupons a page at fixed coordinates, one font per string."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from kiosk.cli_print import SAMPLE_SERIALS, SAMPLE_TIME
    from kiosk.documents import mask_id_number
    from kiosk.i18n import t
    from kiosk.sandbox.demo import DEMO_CITIZENS

    fonts.register_fonts()  # cached, as on the kiosk's path: the page alone is measured
    citizen = DEMO_CITIZENS[0]
    zh = [t("document.header.health_bureau", "zh-Hant"), t("document.voucher.title", "zh-Hant"),
          citizen.name_zh, t("document.voucher.notice", "zh-Hant")]
    latin = [t("document.header.health_bureau", "pt"), t("document.voucher.title", "pt"),
             citizen.name_latin, mask_id_number(citizen.id_number), "2025-01-01", "2027-12-31",
             "MOP 100", t("document.voucher.notice", "pt"),
             f"{SAMPLE_TIME:%Y-%m-%d %H:%M}    KSK-0007"]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=fonts.LATIN)
    width, height = A4
    slot = (height - 24 * mm) / 4
    for n, serial in enumerate(SAMPLE_SERIALS):
        if n and n % 4 == 0:
            canvas.showPage()
        top = height - 12 * mm - (n % 4) * slot
        canvas.roundRect(13 * mm, top - slot + 4 * mm, width - 26 * mm, slot - 8 * mm, 7)
        y = top - 12 * mm
        for text in zh:
            canvas.setFont(fonts.CJK, 9)
            canvas.drawString(18 * mm, y, text[:60])
            y -= 4 * mm
        for text in latin:
            canvas.setFont(fonts.LATIN, 7)
            canvas.drawString(18 * mm, y, text[:90])
            y -= 3 * mm
        canvas.setFont(fonts.LATIN_BOLD, 13)
        canvas.drawString(width - 75 * mm, top - 30 * mm, serial)
        Code128(serial, barWidth=1.2, barHeight=9 * mm).drawOn(canvas, width - 78 * mm,
                                                                 top - slot + 8 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


RENDERS: dict[str, Callable[[], bytes]] = {"naive": _naive, "kiosk": _kiosk, "plain": _plain}


def measure(rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each render, ``rounds`` times, interleaved so machine
    noise falls on all alike."""
    _kiosk()  # warm up imports and the font cache
    _plain()
    times: dict[str, list[float]] = {name: [] for name in RENDERS}
    for _ in range(rounds):
        for name, render in RENDERS.items():
            start = time.perf_counter()
            render()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def summary(times: dict[str, list[float]], rounds: int) -> dict[str, Any]:
    medians = {name: round(statistics.median(ms), 2) for name, ms in times.items()}
    return {
        "vouchers": VOUCHERS, "rounds": rounds,
        "naive_median_ms": medians["naive"], "kiosk_median_ms": medians["kiosk"],
        "plain_median_ms": medians["plain"],
        "ratio": round(medians["kiosk"] / medians["naive"], 3),
        "ratio_to_plain": round(medians["kiosk"] / medians["plain"], 3),
    }


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``)."""
    rounds = 3 if quick else 15
    result = summary(measure(rounds), rounds)
    what = f"{VOUCHERS} vouchers on A4 (2 pages), fonts registered once (median)"
    return Measured([
        Figure(what, result["kiosk_median_ms"], "ms", result["naive_median_ms"],
               "naive: the same render, fonts parsed before each"),
        Figure(what, result["kiosk_median_ms"], "ms", result["plain_median_ms"],
               "plain reportlab: the same texts and barcodes at fixed places",
               "the ratio is what the kiosk's layout adds to the page: script runs, "
               "fitting, glyph checks"),
    ], {"rounds": rounds, "vouchers": VOUCHERS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    times = measure(rounds)
    result = summary(times, rounds)
    print(f"{'render':<8}{'median ms':>12}{'min ms':>10}{'max ms':>10}")
    for name, values in times.items():
        row = f"{statistics.median(values):>12.1f}{min(values):>10.1f}{max(values):>10.1f}"
        print(f"{name:<8}{row}")
    print(f"ratio kiosk/naive: {result['ratio']:.3f} (target < 0.333); "
          f"kiosk/plain: {result['ratio_to_plain']:.3f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
