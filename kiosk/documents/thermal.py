"""Receipt-printer documents: one 80 mm wide page, as long as its content.

A thermal printer feeds paper off a roll, so the page has no fixed height: a
document is a list of blocks (text, rules, codes) that are measured first, then
drawn top down on a page exactly as tall as they need. Blocks are centred or
span the 72 mm the print head reaches.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents import codes, layout
from kiosk.documents.fonts import Align, draw_text, text_width
from kiosk.documents.layout import ACCENT, INK, MUTED, RULE, bilingual
from kiosk.i18n import t

PAPER_WIDTH = 80 * mm
PRINT_WIDTH = 72 * mm  # what an 80 mm head reaches; the rest is the paper's margin
SIDE = (PAPER_WIDTH - PRINT_WIDTH) / 2
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
        lines, fitted = layout.fit_lines(text, PRINT_WIDTH, size, bold)
        x = {"left": SIDE, "center": PAPER_WIDTH / 2, "right": PAPER_WIDTH - SIDE}[align]
        for line in lines:
            self.add(fitted * 1.3, _text_draw(x, line, fitted, bold, colour, align))

    def label(self, key: str) -> None:
        """A small grey bilingual label, for a value that follows on lines of its own."""
        self.text(bilingual(key, self.lang), 7.0, colour=MUTED)

    def field(self, label_key: str, value: str, size: float = 9.5, bold: bool = True) -> None:
        """A bilingual label with its value right-aligned on its line, or on the next if too long.

        Either way the values line up on the right edge, as on a till receipt.
        """
        label = bilingual(label_key, self.lang)
        label_size = 7.0
        room = PRINT_WIDTH - text_width(label, label_size) - 3 * mm
        if text_width(value, size, bold) <= room:
            right = PAPER_WIDTH - SIDE

            def draw(canvas: Canvas, top: float) -> None:
                base = top - size
                canvas.setFillColor(MUTED)
                draw_text(canvas, SIDE, base, label, label_size)
                canvas.setFillColor(INK)
                draw_text(canvas, right, base, value, size, bold=bold, align="right")

            self.add(size * 1.45, draw)
            return
        self.label(label_key)
        self.text(value, size, bold=bold, align="right")
        self.space(size * 0.2)

    def rule(self, colour: Color = RULE, width: float = 0.6, dashed: bool = False) -> None:
        def draw(canvas: Canvas, top: float) -> None:
            canvas.saveState()
            canvas.setStrokeColor(colour)
            canvas.setLineWidth(width)
            if dashed:
                canvas.setDash(2, 2)
            canvas.line(SIDE, top - 2 * mm, PAPER_WIDTH - SIDE, top - 2 * mm)
            canvas.restoreState()

        self.add(4 * mm, draw)

    def barcode(self, payload: str) -> None:
        """A Code 128 of ``payload``, centred, with the payload printed under it."""
        code = codes.fit_code128(payload, PRINT_WIDTH, BAR_WIDTHS, BAR_HEIGHT)

        def draw(canvas: Canvas, top: float) -> None:
            codes.draw_code128(canvas, code, (PAPER_WIDTH - code.width) / 2, top - code.height)

        self.add(code.height + 1 * mm, draw)
        self.text(payload, 7.5, colour=MUTED, align="center")

    def qr(self, payload: str, caption_key: str) -> None:
        """A QR code of ``payload``, centred, over a bilingual 'scan to verify' caption."""

        def draw(canvas: Canvas, top: float) -> None:
            codes.draw_qr(canvas, payload, (PAPER_WIDTH - QR_SIZE) / 2, top - QR_SIZE, QR_SIZE)

        self.add(QR_SIZE, draw)
        for lang in ("zh-Hant", layout.second_language(self.lang)):
            self.text(t(caption_key, lang), 6.5, colour=MUTED, align="center")

    def render(self, title_key: str, bureau: str) -> bytes:
        """The PDF: one page 80 mm wide, as tall as the blocks; no personal data in metadata."""
        height = TOP + sum(h for h, _ in self.blocks) + BOTTOM
        buffer = io.BytesIO()
        canvas = layout.new_document(
            buffer, t(title_key, self.lang), self.lang, (PAPER_WIDTH, height), bureau
        )
        top = height - TOP
        for block_height, draw in self.blocks:
            draw(canvas, top)
            top -= block_height
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()


def _text_draw(x: float, text: str, size: float, bold: bool, colour: Color, align: Align) -> Draw:
    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFillColor(colour)
        draw_text(canvas, x, top - size, text, size, bold=bold, align=align)

    return draw
