"""Receipt-printer documents: pages as wide as the roll, as long as their content.

A thermal printer feeds paper off a roll, so the page has no fixed height: a
document is a list of blocks (text, rules, codes) that are measured first, then
drawn top down on a page exactly as tall as they need. Blocks are centred or
span the width the print head reaches: 72 mm of 80 mm paper, 48 mm of 58 mm.
The printer prints such a page dot for dot (203 dpi), so bars are drawn on
whole dots of its grid.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents import codes, layout
from kiosk.documents.fonts import Align, draw_text, text_width
from kiosk.documents.layout import ACCENT, INK, MUTED, RULE, bilingual
from kiosk.i18n import t


@dataclass(frozen=True)
class Roll:
    """A receipt roll: its paper's width and the part of it the print head reaches."""

    name: str
    paper: float  # points
    printed: float

    @property
    def side(self) -> float:
        return (self.paper - self.printed) / 2


ROLL80 = Roll("roll80", 80 * mm, 72 * mm)
ROLL58 = Roll("roll58", 58 * mm, 48 * mm)
ROLLS = {roll.name: roll for roll in (ROLL80, ROLL58)}
PAPER_WIDTH = ROLL80.paper
PRINT_WIDTH = ROLL80.printed  # what an 80 mm head reaches; the rest is the paper's margin
SIDE = ROLL80.side
TOP = 5 * mm
BOTTOM = 9 * mm  # the cutter sits a few millimetres below the last printed line
# A 203 dpi head prints whole dots of 0.125 mm; Code 128 modules of 3, then 2 dots.
DOT = 25.4 / 203 * mm
BAR_WIDTHS = (3 * DOT, 2 * DOT)
BAR_HEIGHT = 11 * mm
QR_SIZE = 30 * mm

Draw = Callable[[Canvas, float], None]  # draws a block whose top is at the given y


@dataclass
class Strip:
    """A thermal document under construction: blocks with their heights, top down."""

    lang: str
    roll: Roll = ROLL80
    blocks: list[tuple[float, Draw]] = field(default_factory=list)

    def add(self, height: float, draw: Draw) -> None:
        self.blocks.append((height, draw))

    def space(self, height: float) -> None:
        self.add(height, lambda canvas, top: None)

    def header(self, bureau: str) -> None:
        """The Government and the department, centred: Chinese, Portuguese, and English."""
        gov = "document.header.government"
        lines: list[tuple[str, float, bool, Color]] = [
            (t(gov, "zh-Hant"), 9.5, True, ACCENT),
            (t(bureau, "zh-Hant"), 9.5, True, ACCENT),
            (t(gov, "pt"), 6.2, False, MUTED),
            (t(bureau, "pt"), 6.2, False, MUTED),
        ]
        if self.lang == "en":
            lines += [(t(gov, "en"), 6.2, False, MUTED), (t(bureau, "en"), 6.2, False, MUTED)]
        for text, size, bold, colour in lines:
            self.text(text, size, bold=bold, colour=colour, align="center")
        self.space(1.5 * mm)
        self.rule(ACCENT, 1.2)

    def title(self, key: str) -> None:
        """The document's name, large in Chinese, under it in the second language."""
        self.space(2 * mm)
        self.text(t(key, "zh-Hant"), 15, bold=True, align="center")
        second = t(key, layout.second_language(self.lang))
        self.text(second, 10, bold=True, colour=ACCENT, align="center")
        self.space(1.5 * mm)

    def text(
        self,
        text: str,
        size: float,
        bold: bool = False,
        colour: Color = INK,
        align: Align = "left",
    ) -> None:
        """``text`` on as many as two lines, shrunk if it must; aligned within the print width."""
        roll = self.roll
        lines, fitted = layout.fit_lines(text, roll.printed, size, bold)
        x = {"left": roll.side, "center": roll.paper / 2, "right": roll.paper - roll.side}[align]
        for line in lines:
            self.add(fitted * 1.3, _text_draw(x, line, fitted, bold, colour, align))

    def label(self, key: str) -> None:
        """A small grey bilingual label, for a value that follows on lines of its own."""
        self.text(bilingual(key, self.lang), 7.0, colour=MUTED)

    def field(
        self,
        label_key: str,
        value: str,
        size: float = 9.5,
        bold: bool = True,
        colour: Color = INK,
    ) -> None:
        """A bilingual label with its value right-aligned on its line, or on the next if too long.

        Either way the values line up on the right edge, as on a till receipt.
        """
        label = bilingual(label_key, self.lang)
        label_size = 7.0
        side = self.roll.side
        room = self.roll.printed - text_width(label, label_size) - 3 * mm
        if text_width(value, size, bold) <= room:
            right = self.roll.paper - side

            def draw(canvas: Canvas, top: float) -> None:
                base = top - size
                canvas.setFillColor(MUTED)
                draw_text(canvas, side, base, label, label_size)
                canvas.setFillColor(colour)
                draw_text(canvas, right, base, value, size, bold=bold, align="right")

            self.add(size * 1.45, draw)
            return
        self.label(label_key)
        self.text(value, size, bold=bold, colour=colour, align="right")
        self.space(size * 0.2)

    def rule(self, colour: Color = RULE, width: float = 0.6, dashed: bool = False) -> None:
        left, right = self.roll.side, self.roll.paper - self.roll.side

        def draw(canvas: Canvas, top: float) -> None:
            canvas.saveState()
            canvas.setStrokeColor(colour)
            canvas.setLineWidth(width)
            if dashed:
                canvas.setDash(2, 2)
            canvas.line(left, top - 2 * mm, right, top - 2 * mm)
            canvas.restoreState()

        self.add(4 * mm, draw)

    def barcode(self, payload: str, caption: bool = True) -> None:
        """A Code 128 of ``payload``, centred, with the payload printed under it if ``caption``.

        Its bars are whole dots of the printer's grid, from a whole dot on: printed
        dot for dot, a 3-dot module stays 3 dots. ``ValueError`` if it cannot fit.
        """
        code = codes.fit_code128(payload, self.roll.printed, BAR_WIDTHS, BAR_HEIGHT)
        x = round((self.roll.paper - code.width) / 2 / DOT) * DOT

        def draw(canvas: Canvas, top: float) -> None:
            codes.draw_code128(canvas, code, x, top - code.height)

        self.add(code.height + 1 * mm, draw)
        if caption:
            self.text(payload, 7.5, colour=MUTED, align="center")

    def qr(self, payload: str, caption_key: str) -> None:
        """A QR code of ``payload``, centred, over a bilingual 'scan to verify' caption."""
        x = (self.roll.paper - QR_SIZE) / 2

        def draw(canvas: Canvas, top: float) -> None:
            codes.draw_qr(canvas, payload, x, top - QR_SIZE, QR_SIZE)

        self.add(QR_SIZE, draw)
        for lang in ("zh-Hant", layout.second_language(self.lang)):
            self.text(t(caption_key, lang), 6.5, colour=MUTED, align="center")

    @property
    def size(self) -> tuple[float, float]:
        """The page: as wide as the roll, as tall as the blocks and the margins."""
        return self.roll.paper, TOP + sum(h for h, _ in self.blocks) + BOTTOM

    def draw(self, canvas: Canvas) -> None:
        """Every block, top down, on the current page (which must be ``size``)."""
        top = self.size[1] - TOP
        for block_height, draw in self.blocks:
            draw(canvas, top)
            top -= block_height

    def render(self, title_key: str, bureau: str) -> bytes:
        """The PDF: one page as wide as the roll, as tall as the blocks."""
        return render_strips([self], title_key, bureau)


def render_strips(strips: Sequence[Strip], title_key: str, bureau: str) -> bytes:
    """One PDF, a page per strip (a receipt printer cuts after each); no personal data
    in its metadata. The strips share a language."""
    if not strips:
        raise ValueError("nothing to render")
    lang = strips[0].lang
    buffer = io.BytesIO()
    canvas = layout.new_document(buffer, t(title_key, lang), lang, strips[0].size, bureau)
    for strip in strips:
        canvas.setPageSize(strip.size)
        strip.draw(canvas)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _text_draw(x: float, text: str, size: float, bold: bool, colour: Color, align: Align) -> Draw:
    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFillColor(colour)
        draw_text(canvas, x, top - size, text, size, bold=bold, align=align)

    return draw
