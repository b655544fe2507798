"""Machine-readable marks on documents: Code 128 barcodes and QR codes, drawn by reportlab.

Both are drawn as vector shapes on a white ground, with their quiet zones, so a
scanner reads them at any print resolution the module sizes allow.
"""

from __future__ import annotations

import itertools
import re

from reportlab.graphics.barcode.code128 import Code128, Code128Auto
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import black, white
from reportlab.pdfgen.canvas import Canvas

# Where a citizen, clerk or bank checks that a printed document is genuine.
VERIFY_BASE_URL = "https://gateway.example.gov.mo/verify/"
QUIET_MODULES = 10  # Code 128 quiet zone each side, in modules (the standard asks for 10)
QR_BORDER = 4  # QR quiet zone, in modules (ISO/IEC 18004)
_URL_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,63}")


def verification_url(reference: str) -> str:
    """The verification address of a document; ``reference`` must be URL-safe as it is."""
    if not _URL_SAFE.fullmatch(reference):
        raise ValueError(f"reference {reference!r} must be letters, digits and hyphens")
    return VERIFY_BASE_URL + reference


def check_code128(payload: str) -> None:
    if not payload or not all(32 < ord(c) < 127 for c in payload):
        raise ValueError(f"{payload!r} must be printable ASCII without spaces (Code 128)")


def fit_code128(
    payload: str, max_width: float, bar_widths: tuple[float, ...], bar_height: float
) -> Code128:
    """The widest-barred Code 128 of ``payload`` no wider than ``max_width``, quiet zones in.

    ``bar_widths`` are tried widest first; narrower than the last, a printer's
    bars no longer scan, so ``ValueError`` is raised instead.
    """
    check_code128(payload)
    for bar_width in bar_widths:
        quiet = QUIET_MODULES * bar_width
        options = {"barWidth": bar_width, "barHeight": bar_height, "lquiet": quiet, "rquiet": quiet}
        # Code128Auto switches code sets eagerly; plain Code128 is sometimes shorter.
        code = min(Code128(payload, **options), Code128Auto(payload, **options), key=_width)
        if code.width <= max_width:
            return code
    raise ValueError(f"{payload!r} is too long for a scannable barcode here")


def _width(code: Code128) -> float:
    return code.width


def draw_code128(canvas: Canvas, code: Code128, x: float, y: float) -> None:
    """``code`` with its bottom left corner at (x, y), on white so a tint cannot hide a gap."""
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, code.width, code.height, stroke=0, fill=1)
    canvas.setFillColor(black)
    code.drawOn(canvas, x, y)
    canvas.restoreState()


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """A QR code of ``payload``, quiet zone included, filling the square (x, y, size).

    reportlab's QR widget encodes; its modules are drawn here as plain rectangles
    because rendering the widget as a Drawing leaves an unembedded Helvetica
    (the renderer's default font) in the PDF.
    """
    # Level M survives a smudge or a crease on thermal paper and keeps modules large.
    widget = QrCodeWidget(payload, barLevel="M", barBorder=QR_BORDER)
    widget.qr.make()
    modules = widget.qr.modules
    count = len(modules)
    box = size / (count + 2 * QR_BORDER)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for row_index, row in enumerate(modules):
        top = y + size - (row_index + QR_BORDER) * box
        column = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            length = len(list(run))
            if dark:
                path.rect(x + (column + QR_BORDER) * box, top - box, length * box, box)
            column += length
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
