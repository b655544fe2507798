"""Printed documents, checked with the tools a reader would use: poppler and zbar."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents import (
    FontNotFound,
    MissingGlyph,
    VoucherDocument,
    draw_text,
    fonts,
    mask_id_number,
    render_vouchers,
    text_width,
)
from kiosk.documents.voucher import serial_groups
from kiosk.i18n import LANGUAGES, all_keys, t

NAME_ZH = "蘇美雲"
NAME_LATIN = "SOUSA, MARIA DA CONCEIÇÃO"
SERIALS = [f"2025031{n:07d}" for n in (104, 27_318, 550_002, 1_000_017, 9_999_990)]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = "zbar-tools" if name == "zbarimg" else "poppler-utils"
        pytest.fail(f"{name} is needed to read the printed PDFs: install {package}")
    return path


def _run(*args: str | Path, data: bytes | None = None) -> str:
    result = subprocess.run(
        [_tool(str(args[0])), *map(str, args[1:])],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


def _voucher(serial: str, **changes: object) -> VoucherDocument:
    fields: dict[str, object] = {
        "serial": serial,
        "value": 100,
        "currency": "MOP",
        "valid_from": date(2025, 1, 1),
        "valid_until": date(2027, 12, 31),
        "holder_name_zh": NAME_ZH,
        "holder_name_latin": NAME_LATIN,
        "id_number_masked": mask_id_number("7360714(5)"),
        "issued_at": datetime(2025, 3, 4, 10, 21),
        "terminal_id": "KSK-0007",
    }
    fields.update(changes)
    return VoucherDocument(**fields)  # type: ignore[arg-type]


@cache
def _pdf(lang: str) -> bytes:
    return render_vouchers([_voucher(s) for s in SERIALS], lang)


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


def test_text_is_extractable(lang: str) -> None:
    text = _run("pdftotext", "-", "-", data=_pdf(lang))
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 2
    assert text.count("醫療券") == 5
    assert text.count(NAME_ZH) == 5
    assert text.count(NAME_LATIN) == 5
    assert "Ç" in text and "Ã" in text
    assert "7360***(5)" in text
    assert "MOP 100" in text
    assert "2025-01-01" in text and "2027-12-31" in text
    assert "澳門特別行政區政府" in text and "Serviços de Saúde" in text
    compact = re.sub(r"\s+", "", text)
    for serial in SERIALS:
        assert serial in compact
    if lang == "en":
        assert "Health Voucher" in text and "Health Bureau" in text
    else:
        assert t("document.voucher.title", "pt") in text
        assert "Health" not in text


def test_barcodes_decode_to_the_serials_of_their_page(lang: str, tmp_path: Path) -> None:
    pdf = tmp_path / "vouchers.pdf"
    pdf.write_bytes(_pdf(lang))
    _run("pdftoppm", "-r", "200", "-png", pdf, tmp_path / "page")
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    for page, expected in zip(pages, (SERIALS[:4], SERIALS[4:]), strict=True):
        decoded = _run("zbarimg", "--raw", "-q", "-Scode128.enable", page).split()
        assert sorted(decoded) == sorted(expected)


def test_fonts_are_embedded(tmp_path: Path) -> None:
    pdf = tmp_path / "vouchers.pdf"
    pdf.write_bytes(_pdf("pt"))
    rows = [line.split() for line in _run("pdffonts", pdf).splitlines()[2:] if line.strip()]
    names = {row[0].split("+")[-1] for row in rows}
    cjk_name = fonts.register_fonts()[fonts.CJK].face.name.decode()
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= names
    assert any(name.startswith(cjk_name) for name in names), names
    assert all(row[-5] == "yes" for row in rows), rows  # emb column: every font embedded


def test_a4_portrait_and_no_personal_data_in_metadata(lang: str, tmp_path: Path) -> None:
    pdf = tmp_path / "vouchers.pdf"
    pdf.write_bytes(_pdf(lang))
    info = _run("pdfinfo", pdf)
    assert "Pages:           2" in info
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert f"Title:           {t('document.voucher.pdf_title', lang)}" in info
    for personal in (NAME_ZH, "SOUSA", "CONCEI", "7360", "KSK", *SERIALS):
        assert personal not in info


def test_missing_glyph_is_raised_never_dropped() -> None:
    canvas = Canvas(io.BytesIO())
    for char in ("\ue000", "\U00010080", "\u0378"):
        with pytest.raises(MissingGlyph, match=f"U\\+{ord(char):04X}") as raised:
            draw_text(canvas, 10, 10, f"蘇 A{char}B", 12)
        assert raised.value.codepoint == ord(char)
        with pytest.raises(MissingGlyph):
            text_width(char, 12, bold=True)
        with pytest.raises(MissingGlyph):
            render_vouchers([_voucher(SERIALS[0], holder_name_latin=f"SOUSA{char}")], "pt")


def test_runs_split_by_script() -> None:
    runs = fonts.split_runs("蘇美雲 SOUSA，ÇÃ（澳門）")
    assert [(r.text, r.font) for r in runs] == [
        ("蘇美雲", fonts.CJK),
        (" SOUSA", fonts.LATIN),
        ("，", fonts.CJK),
        ("ÇÃ", fonts.LATIN),
        ("（澳門）", fonts.CJK),
    ]
    bold = fonts.split_runs("醫療券 MOP", bold=True)
    assert [(r.font, r.fake_bold) for r in bold] == [
        (fonts.CJK, True),
        (fonts.LATIN_BOLD, False),
    ]
    # A character its script's font lacks falls to the other font.
    assert fonts.split_runs("\u2702")[0].font == fonts.LATIN
    assert fonts.split_runs("\u3131")[0].font == fonts.CJK  # Hangul letter: CJK font


def _render_modes(content: str) -> list[int]:
    """The text render mode each text object of a page content stream is drawn in."""
    modes: list[int] = []
    stack: list[int] = []
    mode = 0
    for line in content.splitlines():
        line = line.strip()
        if line == "q":
            stack.append(mode)
        elif line == "Q":
            mode = stack.pop()
        elif line.startswith("BT"):
            for set_mode in re.findall(r"\b([0-7]) Tr\b", line):
                mode = int(set_mode)
            modes.append(mode)
    return modes


def test_fake_bold_stroke_ends_with_its_run() -> None:
    # The text render mode is graphics state: a fake-bold CJK run must not leave
    # "fill and stroke" on for a real bold face after it (it printed smudged).
    canvas = Canvas(io.BytesIO(), pageCompression=0)
    draw_text(canvas, 10, 10, "銀行卡 · Cartão 醫療券 MOP", 12, bold=True)
    draw_text(canvas, 10, 30, "Cartão", 12)
    canvas.showPage()
    streams = re.findall(r"stream\r?\n(.*?)endstream", canvas.getpdfdata().decode("latin-1"), re.S)
    (page,) = [stream for stream in streams if "\nBT " in stream]
    assert _render_modes(page) == [2, 0, 2, 0, 0]


def test_font_not_found_names_the_package() -> None:
    need = fonts._Need("Nowhere", (("/no/such/font.ttf", 0),), ("No Such Family Xq",), "fonts-xq")
    with pytest.raises(FontNotFound, match="fonts-xq"):
        fonts._load(need)


_PUNCTUATION = "，。、；：？！「」『』（）《》〈〉…—·・【】〔〕！＂＃％＆＇＊＋－．／～"
_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x00, max_codepoint=0xFF),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(_PUNCTUATION),
        st.characters(categories=["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, bold=st.booleans())
def test_any_text_is_drawn_whole_or_refused(text: str, bold: bool) -> None:
    registered = fonts.register_fonts().values()
    canvas = Canvas(io.BytesIO())
    try:
        width = draw_text(canvas, 20, 20, text, 11, bold=bold)
    except MissingGlyph as missing:
        assert missing.char in unicodedata.normalize("NFC", text)
        assert all(ord(missing.char) not in f.face.charToGlyph for f in registered)
        return
    assert width == pytest.approx(text_width(text, 11, bold))
    by_name = fonts.register_fonts()
    for run in fonts.split_runs(text, bold):
        assert all(
            ord(c) in by_name[run.font].face.charToGlyph for c in run.text.replace("\xa0", " ")
        )
    doc = canvas._doc
    for char in unicodedata.normalize("NFC", text):
        code = 0x20 if char == "\xa0" else ord(char)
        # reportlab gives a subset slot only to a character the font has a glyph for
        # (printable ASCII is pre-assigned); a character drawn as nothing (glyph 0)
        # has no slot in any font.
        assert any(doc in f.state and code in f.state[doc].assignments for f in registered), (
            f"U+{ord(char):04X} was not drawn"
        )


def test_printable_latin1_and_chinese_always_render() -> None:
    latin1 = "".join(chr(c) for c in range(0x20, 0x100) if unicodedata.category(chr(c))[0] != "C")
    canvas = Canvas(io.BytesIO())
    for bold in (False, True):
        assert (
            draw_text(canvas, 0, 0, latin1 + "澳門特別行政區政府衛生局醫療券，。「」", 9, bold) > 0
        )


def test_mask_id_number() -> None:
    assert mask_id_number("5215299(8)") == "5215***(8)"
    assert mask_id_number(" 7360714(5) ") == "7360***(5)"
    assert mask_id_number("52152998") == "5215****"
    assert mask_id_number("1234") == "1***"
    with pytest.raises(ValueError):
        mask_id_number("")


def test_serial_groups() -> None:
    assert serial_groups("20250310000104") == ["2025", "0310", "000", "104"]
    assert serial_groups("123456789012") == ["1234", "5678", "9012"]
    assert serial_groups("HV2025-000123") == ["HV2025", "000123"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        render_vouchers([], "pt")
    with pytest.raises(ValueError):
        render_vouchers([_voucher(SERIALS[0])], "fr")
    with pytest.raises(ValueError, match="too long"):
        render_vouchers([_voucher("HV25-ABCD-EFGH-IJKL")], "pt")
    with pytest.raises(ValueError, match="ASCII"):
        render_vouchers([_voucher("2025 醫")], "pt")


def test_document_texts_exist_in_every_language() -> None:
    document_keys = [k for k in all_keys() if k.startswith("document.")]
    assert "document.voucher.title" in document_keys
    for key in document_keys:
        for language in LANGUAGES:
            assert t(key, language).strip()
            fonts.check_glyphs(t(key, language))
    assert t("document.voucher.title", "zh-Hant") == "醫療券"
    assert t("document.voucher.title", "pt") == "Vale de Saúde"
