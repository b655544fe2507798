"""Fonts for printed documents: one TrueType font per script, never a lost glyph.

reportlab draws a character its font lacks as nothing at all (glyph 0) and only
embeds TrueType outlines, so Noto Sans CJK (CFF outlines) is unusable. Every
text is therefore cut into runs by script: CJK ideographs, CJK punctuation and
full-width forms go to the CJK font (WenQuanYi Zen Hei), everything else to
the Latin font (DejaVu Sans). A character its script's font lacks falls to the
other font; a character neither font has raises ``MissingGlyph``.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

LATIN = "KioskLatin"
LATIN_BOLD = "KioskLatin-Bold"
CJK = "KioskCJK"

# Stroke width, as a share of the font size, that thickens a font without a bold face.
_FAKE_BOLD_STROKE = 0.035

Align = Literal["left", "center", "right"]


class FontNotFound(RuntimeError):
    """No usable TrueType font for a script is installed."""


class MissingGlyph(ValueError):
    """A character no registered font can draw."""

    def __init__(self, char: str, text: str = "") -> None:
        self.char = char
        self.codepoint = ord(char)
        name = unicodedata.name(char, "unnamed character")
        super().__init__(
            f"no font has a glyph for U+{self.codepoint:04X} ({name})"
            + (f" in {text!r}" if text else "")
        )


@dataclass(frozen=True)
class _Need:
    """Where to look for one font: known files, then fontconfig patterns."""

    name: str
    files: tuple[tuple[str, int], ...]
    patterns: tuple[str, ...]
    package: str


_NEEDS = (
    _Need(
        LATIN,
        (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),),
        ("DejaVu Sans:style=Book",),
        "fonts-dejavu-core",
    ),
    _Need(
        LATIN_BOLD,
        (("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0),),
        ("DejaVu Sans:style=Bold",),
        "fonts-dejavu-core",
    ),
    _Need(
        CJK,
        (
            ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
            ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
            ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
        ),
        (
            "WenQuanYi Zen Hei",
            "Droid Sans Fallback",
            "AR PL UMing TW",
            ":lang=zh-tw:fontformat=TrueType",
        ),
        "fonts-wqy-zenhei",
    ),
)


def _fontconfig(pattern: str) -> list[tuple[str, int]]:
    """Font files fontconfig lists for ``pattern``: exact matches only, no substitutes."""
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}|%{index}\n", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in sorted(out.splitlines()):
        file, _, index = line.partition("|")
        if file.lower().endswith((".ttf", ".ttc")):
            found.append((file, int(index or 0)))
    return found


def _load(need: _Need) -> TTFont:
    candidates = list(need.files)
    for pattern in need.patterns:
        candidates += _fontconfig(pattern)
    for file, index in candidates:
        if not Path(file).is_file():
            continue
        try:
            return TTFont(need.name, file, subfontIndex=index)
        except (TTFError, OSError, ValueError):
            continue  # e.g. CFF outlines, which reportlab cannot embed
    raise FontNotFound(
        f"no TrueType font for {need.name} found (looked for {', '.join(need.patterns)}); "
        f"install the Debian package {need.package}"
    )


@cache
def register_fonts() -> dict[str, TTFont]:
    """Find and register the document fonts once; their reportlab names as keys."""
    fonts = {}
    for need in _NEEDS:
        font = _load(need)
        pdfmetrics.registerFont(font)
        fonts[need.name] = font
    return fonts


def is_cjk(char: str) -> bool:
    """Whether ``char`` belongs with the CJK font: ideographs, kana, CJK punctuation ..."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x2FDF  # radicals, Kangxi radicals
        or 0x3000 <= code <= 0x33FF  # CJK punctuation, kana, bopomofo, enclosed, compatibility
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE10 <= code <= 0xFE1F  # vertical forms
        or 0xFE30 <= code <= 0xFE4F  # compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # half-width and full-width forms
        or 0x20000 <= code <= 0x3FFFF  # extensions B and later
    )


@dataclass(frozen=True)
class Run:
    """Consecutive characters drawn with one font; ``fake_bold`` thickens a font without bold."""

    text: str
    font: str
    fake_bold: bool = False


def _has(font: TTFont, char: str) -> bool:
    code = 0x20 if char == "\xa0" else ord(char)  # reportlab prints NBSP as a space
    return code in font.face.charToGlyph


def split_runs(text: str, bold: bool = False) -> list[Run]:
    """``text`` (NFC-normalised) cut into runs of one font each; ``MissingGlyph`` if uncovered."""
    fonts = register_fonts()
    text = unicodedata.normalize("NFC", text)
    latin = [(LATIN_BOLD, False), (LATIN, True)] if bold else [(LATIN, False)]
    cjk = [(CJK, bold)]
    runs: list[Run] = []
    for char in text:
        order = cjk + latin if is_cjk(char) else latin + cjk
        choice = next(((name, fake) for name, fake in order if _has(fonts[name], char)), None)
        if choice is None:
            raise MissingGlyph(char, text)
        name, fake = choice
        if runs and runs[-1].font == name and runs[-1].fake_bold == fake:
            runs[-1] = Run(runs[-1].text + char, name, fake)
        else:
            runs.append(Run(char, name, fake))
    return runs


def check_glyphs(text: str) -> None:
    """Raise ``MissingGlyph`` unless every character of ``text`` can be drawn."""
    split_runs(text)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width of ``text`` at ``size`` points, as ``draw_text`` draws it."""
    return sum(pdfmetrics.stringWidth(r.text, r.font, size) for r in split_runs(text, bold))


def fit_size(text: str, max_width: float, size: float, bold: bool = False) -> float:
    """``size``, or the smaller size at which ``text`` fits into ``max_width``."""
    width = text_width(text, size, bold)
    return size if width <= max_width or width == 0 else size * max_width / width


def draw_text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    bold: bool = False,
    align: Align = "left",
) -> float:
    """Draw ``text`` with its baseline at ``y``, aligned on ``x``; return its width.

    Uses the canvas's current fill colour. Raises ``MissingGlyph`` before drawing
    anything if a character has no glyph in any font.
    """
    runs = split_runs(text, bold)
    widths = [pdfmetrics.stringWidth(r.text, r.font, size) for r in runs]
    total = sum(widths)
    if align == "center":
        x -= total / 2
    elif align == "right":
        x -= total
    elif align != "left":
        raise ValueError(f"align must be left, center or right, not {align!r}")
    canvas.saveState()
    colour = getattr(canvas, "_fillColorObj", None)
    if colour is not None:
        canvas.setStrokeColor(colour)
    canvas.setLineWidth(size * _FAKE_BOLD_STROKE)
    for run, width in zip(runs, widths, strict=True):
        text_object = canvas.beginText(x, y)
        text_object.setFont(run.font, size)
        if run.fake_bold:
            # The render mode outlives the text object: kept inside q/Q, or the
            # runs after it (a real bold face among them) would be stroked too.
            canvas.saveState()
            text_object.setTextRenderMode(2)  # fill and stroke
        text_object.textOut(run.text)
        canvas.drawText(text_object)
        if run.fake_bold:
            canvas.restoreState()
        x += width
    canvas.restoreState()
    return total
