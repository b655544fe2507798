"""Every printed document kind, read back with poppler and zbar in every language."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from kiosk import cli_print
from kiosk.cli_print import KINDS, sample_pdf
from kiosk.documents.codes import verification_url
from kiosk.i18n import LANGUAGES
from kiosk.sandbox.demo import DEMO_CITIZENS

# What each kind must show as text, and what its codes must decode to.
EXPECTED_TEXT = {
    "voucher": ["MOP 100", *cli_print.SAMPLE_SERIALS],
    "receipt": ["1,234.50", cli_print.SAMPLE_RECEIPT_REFERENCE, "2025-03-04 10:21:37"],
    "slip": [cli_print.SAMPLE_APPLICATION, "2025-03-18"],
    "proof-of-life": [cli_print.SAMPLE_PROOF_REFERENCE, "2025-03-04 10:21:37"],
    "certificate": [cli_print.SAMPLE_VERIFICATION_CODE, "2025-03-04", "0301-2748-19"],
}
EXPECTED_CODES = {
    "voucher": {f"CODE-128:{s}" for s in cli_print.SAMPLE_SERIALS[:4]},  # page 1 only
    "receipt": {
        f"CODE-128:{cli_print.SAMPLE_RECEIPT_REFERENCE}",
        f"QR-Code:{verification_url(cli_print.SAMPLE_RECEIPT_REFERENCE)}",
    },
    "slip": {f"QR-Code:{verification_url(cli_print.SAMPLE_APPLICATION)}"},
    "proof-of-life": set(),
    "certificate": {f"QR-Code:{verification_url(cli_print.SAMPLE_VERIFICATION_CODE)}"},
}
PERSONAL = [
    *(c.name_zh for c in DEMO_CITIZENS),
    *(c.name_latin.split(",")[0] for c in DEMO_CITIZENS),
    *(c.id_number[:4] for c in DEMO_CITIZENS),
    cli_print.SAMPLE_RECEIPT_REFERENCE,
    cli_print.SAMPLE_APPLICATION,
    cli_print.SAMPLE_PROOF_REFERENCE,
    cli_print.SAMPLE_VERIFICATION_CODE,
    "KSK",
]


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
def _pdf(kind: str, lang: str) -> bytes:
    return sample_pdf(kind, lang)


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("kind", KINDS)
def test_text_holds_the_header_and_the_key_digits(kind: str, lang: str) -> None:
    text = _run("pdftotext", "-", "-", data=_pdf(kind, lang))
    assert "澳門特別行政區政府" in text
    assert "Governo da Região Administrativa Especial de Macau" in text
    compact = re.sub(r"\s+", "", text)
    for expected in EXPECTED_TEXT[kind]:
        assert expected.replace(" ", "") in compact, expected
    assert ("Government of the Macao" in text) == (lang == "en")


@pytest.mark.parametrize("kind", KINDS)
def test_codes_decode_to_their_exact_payloads(kind: str, lang: str, tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(_pdf(kind, lang))
    _run("pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", pdf, tmp_path / "page")
    (page,) = tmp_path.glob("page-*.png")
    result = subprocess.run(
        ["zbarimg", "-q", page], capture_output=True, timeout=60, check=False
    )  # exit status 4: nothing found, which is right for a kind without codes
    assert set(result.stdout.decode().splitlines()) == EXPECTED_CODES[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_fonts_embedded_and_no_personal_data_in_metadata(
    kind: str, lang: str, tmp_path: Path
) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(_pdf(kind, lang))
    rows = [line.split() for line in _run("pdffonts", pdf).splitlines()[2:] if line.strip()]
    assert len(rows) >= 2
    assert all(row[-5] == "yes" for row in rows), rows  # the "emb" column
    info = _run("pdfinfo", pdf)
    assert "Title:" in info
    for personal in PERSONAL:
        assert personal not in info


@pytest.mark.parametrize("kind", ["receipt", "slip", "proof-of-life"])
def test_thermal_documents_are_80_mm_wide(kind: str) -> None:
    info = _run("pdfinfo", "-", data=_pdf(kind, "pt"))
    width = float(re.search(r"Page size:\s+([\d.]+) x", info).group(1))  # type: ignore[union-attr]
    assert width == pytest.approx(80 / 25.4 * 72, abs=0.5)


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("receipt", ["1,234.50", "10:21:37", cli_print.SAMPLE_RECEIPT_REFERENCE]),
        ("slip", ["10:21:37", "2025-03-18"]),
        ("proof-of-life", [cli_print.SAMPLE_PROOF_REFERENCE, "10:21:37"]),
    ],
)
def test_thermal_field_values_line_up_on_the_right(kind: str, values: list[str], lang: str) -> None:
    # A value too long to share its label's line goes under it, still right-aligned:
    # the values of a slip form one column whatever the language of the labels.
    words = re.findall(
        r'xMax="([\d.]+)"[^>]*>([^<]+)</word>',
        _run("pdftotext", "-bbox", "-", "-", data=_pdf(kind, lang)),
    )
    right_edge = (80 - 4) / 25.4 * 72
    for value in values:
        x_max = next(float(x) for x, word in words if word == value)  # the field, not the code's
        assert x_max == pytest.approx(right_edge, abs=0.5), (value, x_max)


@pytest.mark.parametrize("kind", KINDS)
def test_cli_writes_a_valid_pdf(kind: str, tmp_path: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    cli_print.add_print_commands(parser.add_subparsers())
    out = tmp_path / f"{kind}.pdf"
    args = parser.parse_args(["print", "sample", kind, "--lang", "en", "--out", str(out)])
    assert args.func(args) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Pages:" in _run("pdfinfo", out)


def test_proof_of_life_status_lines() -> None:
    from dataclasses import replace

    from kiosk.documents.slips import ProofOfLifeDocument, render_proof_of_life

    doc = ProofOfLifeDocument(
        "document.header.pension_fund", "PL1", cli_print.SAMPLE_TIME, "delivered", "K1"
    )
    delivered = _run("pdftotext", "-", "-", data=render_proof_of_life(doc, "en"))
    assert "已遞交" in delivered and "Delivered" in delivered
    queued = _run(
        "pdftotext", "-", "-", data=render_proof_of_life(replace(doc, status="queued"), "pt")
    )
    assert "Será entregue quando a rede for restabelecida" in queued
    with pytest.raises(ValueError):
        render_proof_of_life(replace(doc, status="lost"), "pt")  # type: ignore[arg-type]
