"""Page geometry, colours and the official header shared by every printed document.

Documents are A4 portrait. Small documents (vouchers, slips) are coupons: equal
slots stacked down the page, separated by dashed cut lines with a scissors
mark. Every document carries the Government's bilingual header (Chinese and
Portuguese, plus English for English-speaking citizens) and bilingual labels
(Chinese and the citizen's second language: Portuguese, or English).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents.fonts import LATIN, draw_text, fit_size, register_fonts, text_width
from kiosk.i18n import LANGUAGES, t

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 13 * mm
MARGIN_Y = 12 * mm
COUPON_GAP = 8 * mm  # between two coupons; the cut line runs down its middle
COUPON_PADDING = 5 * mm
COUPON_RADIUS = 2.5 * mm

# One accent, the deep teal of the Health Bureau, on black-ish ink and greys.
ACCENT: Color = HexColor("#00685E")
ACCENT_TINT: Color = HexColor("#E7F2EF")
INK: Color = HexColor("#1B2624")
MUTED: Color = HexColor("#5A6866")
RULE: Color = HexColor("#B9CBC7")

LABEL_SIZE = 6.5
SEPARATOR = " · "


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, origin bottom left."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def center_x(self) -> float:
        return self.x + self.w / 2

    def inset(self, dx: float, dy: float | None = None) -> Box:
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, self.w - 2 * dx, self.h - 2 * dy)

    def split_right(self, width: float) -> tuple[Box, Box]:
        """This box cut into a left part and a right part ``width`` wide."""
        left = Box(self.x, self.y, self.w - width, self.h)
        return left, Box(left.right, self.y, width, self.h)


def check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")


def second_language(lang: str) -> str:
    """The language printed beside Chinese: English for English speakers, else Portuguese."""
    check_language(lang)
    return "en" if lang == "en" else "pt"


def bilingual(key: str, lang: str) -> str:
    """The text ``key`` in Chinese and in the citizen's second language, e.g. 持有人 · Titular."""
    return t(key, "zh-Hant") + SEPARATOR + t(key, second_language(lang))


def new_document(
    buffer: io.BytesIO,
    title: str,
    lang: str,
    pagesize: tuple[float, float] = A4,
    department: str = "document.header.health_bureau",
) -> Canvas:
    """A canvas with the fonts registered and metadata free of personal data.

    ``title`` must be a fixed catalogue text; ``department`` is the text key of
    the issuing department, written as the author.
    """
    check_language(lang)
    register_fonts()
    # The initial font is ours: no unembedded Helvetica in the file.
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1, initialFontName=LATIN)
    canvas.setTitle(title)
    canvas.setSubject(title)
    canvas.setAuthor(t(department, lang))
    canvas.setCreator("kiosk")
    canvas.setKeywords("")
    return canvas


def coupon_slots(count: int = 4) -> list[Box]:
    """``count`` equal coupon boxes stacked from the top of the page down."""
    height = (PAGE_HEIGHT - 2 * MARGIN_Y - (count - 1) * COUPON_GAP) / count
    width = PAGE_WIDTH - 2 * MARGIN_X
    return [
        Box(MARGIN_X, PAGE_HEIGHT - MARGIN_Y - (i + 1) * height - i * COUPON_GAP, width, height)
        for i in range(count)
    ]


def draw_cut_line(canvas: Canvas, y: float, lang: str) -> None:
    """A dashed line across the page at ``y`` with a scissors mark and a hint to cut."""
    canvas.saveState()
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    canvas.line(6 * mm, y, PAGE_WIDTH - 6 * mm, y)
    canvas.setDash()
    hint = bilingual("document.cut_line.hint", lang)
    canvas.setFillColor(white)
    scissors_x = MARGIN_X + 2 * mm
    canvas.rect(scissors_x - 2, y - 5, 16, 10, stroke=0, fill=1)
    hint_width = text_width(hint, 5.5)
    hint_x = PAGE_WIDTH - MARGIN_X - 2 * mm
    canvas.rect(hint_x - hint_width - 3, y - 4, hint_width + 6, 8, stroke=0, fill=1)
    canvas.setFillColor(MUTED)
    draw_text(canvas, scissors_x, y - 3.6, "\u2702", 11)
    draw_text(canvas, hint_x, y - 2, hint, 5.5, align="right")
    canvas.restoreState()


def draw_coupon_frame(canvas: Canvas, box: Box, tinted: Box | None = None) -> None:
    """The coupon's rounded border; ``tinted`` is a part of it filled with the accent tint."""
    canvas.saveState()
    if tinted is not None:
        path = canvas.beginPath()
        path.roundRect(box.x, box.y, box.w, box.h, COUPON_RADIUS)
        canvas.clipPath(path, stroke=0, fill=0)
        canvas.setFillColor(ACCENT_TINT)
        canvas.rect(tinted.x, tinted.y, tinted.w, tinted.h, stroke=0, fill=1)
    canvas.restoreState()
    canvas.saveState()
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(0.9)
    canvas.roundRect(box.x, box.y, box.w, box.h, COUPON_RADIUS, stroke=1, fill=0)
    canvas.restoreState()


def draw_official_header(
    canvas: Canvas,
    x: float,
    top: float,
    width: float,
    lang: str,
    bureau: str = "document.header.health_bureau",
    scale: float = 1.0,
) -> float:
    """The Government and department names beside an accent bar; return the y below it.

    Chinese and Portuguese always (both official languages), English as well for
    English-speaking citizens. ``bureau`` is the department's text key.
    """
    gov = "document.header.government"
    lines = [(t(gov, "zh-Hant") + "  " + t(bureau, "zh-Hant"), 9.0 * scale, True, ACCENT)]
    lines.append((t(gov, "pt") + SEPARATOR + t(bureau, "pt"), 6.3 * scale, False, MUTED))
    if lang == "en":
        lines.append((t(gov, "en") + SEPARATOR + t(bureau, "en"), 6.3 * scale, False, MUTED))
    canvas.saveState()
    y = top
    text_x = x + 6
    descent = 0.0
    for text, size, bold, colour in lines:
        size = fit_size(text, width - 6, size, bold)
        y -= descent + size * 0.95
        descent = size * 0.45
        canvas.setFillColor(colour)
        draw_text(canvas, text_x, y, text, size, bold=bold)
    bottom = y - descent
    canvas.setFillColor(ACCENT)
    canvas.rect(x, bottom, 2.2, top - bottom, stroke=0, fill=1)
    canvas.restoreState()
    return bottom


def fit_lines(
    text: str, width: float, size: float, bold: bool = False, max_lines: int = 2
) -> tuple[list[str], float]:
    """``text`` as lines no wider than ``width`` and the size to draw them at.

    Kept on one line if it fits at three quarters of ``size``; otherwise broken
    at spaces (anywhere in CJK text) into at most ``max_lines``, then shrunk to fit.
    """
    smallest = size * 0.75
    if text_width(text, smallest, bold) <= width or max_lines == 1:
        return [text], fit_size(text, width, size, bold)
    lines: list[str] = []
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    for word in words:
        candidate = lines[-1] + joiner + word if lines else word
        if lines and (text_width(candidate, smallest, bold) <= width or len(lines) == max_lines):
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines, min(fit_size(line, width, smallest, bold) for line in lines)


def draw_field(
    canvas: Canvas,
    x: float,
    top: float,
    width: float,
    label: str,
    values: list[tuple[str, float, bool]],
    colour: Color = INK,
) -> float:
    """A small grey label over one or more values (text, size, bold); return the y below.

    A value too long for ``width`` is shrunk a little, then broken over two lines.
    """
    canvas.saveState()
    canvas.setFillColor(MUTED)
    y = top - LABEL_SIZE
    draw_text(canvas, x, y, label, fit_size(label, width, LABEL_SIZE))
    canvas.setFillColor(colour)
    y -= 2
    for text, size, bold in values:
        lines, fitted = fit_lines(text, width, size, bold)
        for index, line in enumerate(lines):
            y -= size * 1.25 if index == 0 else fitted * 1.2
            draw_text(canvas, x, y, line, fitted, bold=bold)
    canvas.restoreState()
    return y
