"""Printed documents: PDFs the kiosk prints for citizens (health vouchers, ...).

Every citizen-facing text comes from the i18n catalogue (``document.*`` keys);
every character is drawn with a font that has it, or ``MissingGlyph`` is raised.
"""

from kiosk.documents.fonts import FontNotFound, MissingGlyph, draw_text, text_width
from kiosk.documents.voucher import VoucherDocument, mask_id_number, render_vouchers

__all__ = [
    "FontNotFound",
    "MissingGlyph",
    "VoucherDocument",
    "draw_text",
    "mask_id_number",
    "render_vouchers",
    "text_width",
]
