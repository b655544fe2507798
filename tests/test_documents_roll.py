"""Health vouchers on a receipt roll, read back as a printer and a scanner would:
rendered at 203 dpi (the head's dots), text with poppler, barcodes with zbar."""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from kiosk import cli_print
from kiosk.documents import render_vouchers
from kiosk.documents.thermal import ROLLS
from kiosk.i18n import LANGUAGES, t
from tests.test_documents import NAME_LATIN, NAME_ZH, SERIALS, _voucher

MM = 72 / 25.4
DPI = 203
# Code 128 of the 14-digit serials: 3-dot modules fit 72 mm, only 2-dot ones 48 mm.
MODULE_DOTS = {"roll80": 3, "roll58": 2}


def _run(*args: str | Path, data: bytes | None = None) -> str:
    tool = shutil.which(str(args[0]))
    if tool is None:
        pytest.fail(f"{args[0]} is needed to read the printed PDFs (poppler-utils, zbar-tools)")
    result = subprocess.run(
        [tool, *map(str, args[1:])], input=data, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


@cache
def _pdf(lang: str, media: str) -> bytes:
    return render_vouchers([_voucher(s) for s in SERIALS], lang, media)


@cache
def _pages(lang: str, media: str, tmp: Path) -> list[Path]:
    pdf = tmp / f"{lang}-{media}.pdf"
    pdf.write_bytes(_pdf(lang, media))
    _run("pdftoppm", "-r", str(DPI), "-png", pdf, tmp / f"{lang}-{media}")
    return sorted(tmp.glob(f"{lang}-{media}-*.png"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roll")


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=sorted(ROLLS))
def media(request: pytest.FixtureRequest) -> str:
    return request.param


def test_a_page_per_voucher_as_wide_as_the_roll(lang: str, media: str) -> None:
    info = _run("pdfinfo", "-", data=_pdf(lang, media))
    assert re.search(r"^Pages:\s+5$", info, re.M)
    width = float(re.search(r"Page size:\s+([\d.]+) x", info).group(1))  # type: ignore[union-attr]
    assert width == pytest.approx(ROLLS[media].paper, abs=0.01)
    assert f"Title:           {t('document.voucher.pdf_title', lang)}" in info
    for personal in (NAME_ZH, "SOUSA", "CONCEI", "7360", "KSK", *SERIALS):
        assert personal not in info


def test_every_page_is_a_whole_voucher(lang: str, media: str) -> None:
    pages = _run("pdftotext", "-", "-", data=_pdf(lang, media)).split("\f")[:-1]
    assert len(pages) == len(SERIALS)
    second = "en" if lang == "en" else "pt"
    for page, serial in zip(pages, SERIALS, strict=True):
        compact = re.sub(r"\s+", "", page)
        # The official header once, in Chinese and Portuguese (and English for English).
        assert page.count("澳門特別行政區政府") == 1
        assert "GovernodaRegiãoAdministrativaEspecialdeMacau" in compact
        assert ("Government of the Macao" in page) == (lang == "en")
        assert "醫療券" in page and t("document.voucher.title", second) in page
        assert NAME_ZH in page and NAME_LATIN in page and "Ç" in page
        assert "7360***(5)" in page and "MOP 100" in page
        assert "2025-01-01" in page and "2027-12-31" in page
        assert re.sub(r"\s+", "", t("document.voucher.notice", second)) in compact
        assert compact.count(serial) == 1  # in digits once (the barcode carries no caption)
        assert t("document.voucher.serial", second) in page


def test_nothing_outside_the_printed_width(lang: str, media: str) -> None:
    roll = ROLLS[media]
    bbox = _run("pdftotext", "-bbox", "-", "-", data=_pdf(lang, media))
    edges = [(float(a), float(b)) for a, b in re.findall(r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"',
                                                          bbox)]
    assert len(edges) > 40 * len(SERIALS)
    assert min(x for x, _ in edges) >= roll.side - 0.5
    assert max(x for _, x in edges) <= roll.paper - roll.side + 0.5


def test_each_barcode_decodes_to_its_page_serial(lang: str, media: str, rendered: Path) -> None:
    pages = _pages(lang, media, rendered)
    assert len(pages) == len(SERIALS)
    for page, serial in zip(pages, SERIALS, strict=True):
        assert _run("zbarimg", "--raw", "-q", "-Scode128.enable", page).split() == [serial]


def _bar_runs(page: Path) -> list[int]:
    """The widths in dots of the bars: the dark runs of the tallest stack of identical rows
    (a barcode is 11 mm of the same row; no text is)."""
    image = Image.open(page).convert("L")
    rows = [
        tuple(v < 128 for v in image.crop((0, y, image.width, y + 1)).get_flattened_data())
        for y in range(image.height)
    ]
    stacks = [(len(list(same)), row) for row, same in itertools.groupby(rows) if any(row)]
    height, row = max(stacks)
    assert height >= 80  # 11 mm at 203 dpi is 88 rows
    return [len(list(run)) for dark, run in itertools.groupby(row) if dark]


def test_bars_are_whole_printer_dots(media: str, rendered: Path) -> None:
    module = MODULE_DOTS[media]
    for page in _pages("pt", media, rendered):
        runs = _bar_runs(page)
        assert len(runs) > 20
        # Code 128 bars are 1 to 4 modules; at 203 dpi each exactly `module` dots.
        assert min(runs) == module
        assert {run % module for run in runs} == {0} and max(runs) <= 4 * module, runs


def test_unknown_media_and_unfitting_serials_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown media 'letter'"):
        render_vouchers([_voucher(SERIALS[0])], "pt", "letter")
    with pytest.raises(ValueError, match="too long"):
        render_vouchers([_voucher("HV25-ABCD-EFGH-IJKL-MNOP")], "pt", "roll58")
    assert render_vouchers([_voucher("HV25-ABCD-EFGH-IJKL")], "pt", "roll80").startswith(b"%PDF")


def test_a4_stays_the_default() -> None:
    vouchers = [_voucher(s) for s in SERIALS]
    default, a4 = render_vouchers(vouchers, "pt"), render_vouchers(vouchers, "pt", "a4")
    assert _run("pdftotext", "-", "-", data=default) == _run("pdftotext", "-", "-", data=a4)
    info = _run("pdfinfo", "-", data=default)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_print.add_print_commands(parser.add_subparsers())
    args = parser.parse_args(["print", "sample", *argv])
    return args.func(args)


def test_cli_sample_voucher_on_a_roll(tmp_path: Path) -> None:
    out = tmp_path / "voucher.pdf"
    assert _cli("voucher", "--media", "roll80", "--lang", "zh-Hant", "--out", str(out)) == 0
    info = _run("pdfinfo", out)
    assert re.search(r"Page size:\s+226\.77\d* x", info)
    assert re.search(r"^Pages:\s+6$", info, re.M)
    assert _cli("voucher", "--lang", "en", "--out", str(out)) == 0
    assert "(A4)" in _run("pdfinfo", out)


def test_cli_media_is_for_the_voucher_only(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "receipt.pdf"
    assert _cli("receipt", "--media", "roll58", "--out", str(out)) == 2
    assert "--media is for the voucher" in capsys.readouterr().err
    assert not out.exists()
