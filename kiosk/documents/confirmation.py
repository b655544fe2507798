"""The confirmation slip: what a service did for the citizen, with its reference.

One layout for the services whose printout is "a slip saying it was done" (a
transfer, a renewal, a registration, a feedback reference, a statement): the
department's header, the service, the reference as text and Code 128, then the
service's own lines. Labels are text keys; values arrive already in the
citizen's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm

from kiosk.documents import codes, layout
from kiosk.documents.fonts import check_glyphs
from kiosk.documents.layout import ACCENT, MUTED, bilingual
from kiosk.documents.thermal import ROLLS, Strip
from kiosk.i18n import t

STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ConfirmationSlip:
    department: str  # text key, e.g. "department.ic"
    service: str  # text key of the service's name
    title: str  # text key of the slip's name, e.g. "document.confirmation.renewal"
    reference: str
    rows: Sequence[tuple[str, str]]  # (label text key, value)
    issued_at: datetime
    terminal_id: str
    note: str = "document.confirmation.keep"  # text key


def render_confirmation(doc: ConfirmationSlip, lang: str, media: str = "roll80") -> bytes:
    """The slip as a receipt-roll PDF (any media that is not a roll gets an 80 mm page)."""
    layout.check_language(lang)
    codes.check_code128(doc.reference)
    for key, value in doc.rows:
        t(key, "zh-Hant")  # a missing label fails now, not half way down the slip
        check_glyphs(value)
    check_glyphs(doc.terminal_id)
    strip = Strip(lang, ROLLS.get(media, ROLLS["roll80"]))
    strip.header(doc.department)
    strip.title(doc.title)
    strip.label("document.label.service")
    strip.text(t(doc.service, "zh-Hant"), 9.5, bold=True)
    strip.text(t(doc.service, layout.second_language(lang)), 8)
    strip.space(1 * mm)
    strip.rule()
    strip.label("document.label.reference")
    strip.text(doc.reference, 14, bold=True, colour=ACCENT, align="center")
    for key, value in doc.rows:
        strip.field(key, value, size=8.5)
    strip.field("document.label.issued_at", doc.issued_at.strftime(STAMP), 8.5, False)
    strip.space(2 * mm)
    strip.barcode(doc.reference)
    strip.space(1.5 * mm)
    strip.rule(dashed=True)
    for note_lang in ("zh-Hant", layout.second_language(lang)):
        strip.text(t(doc.note, note_lang), 6.8, colour=MUTED, align="center")
    strip.text(f"{bilingual('document.label.terminal', lang)} {doc.terminal_id}", 6.2,
               colour=MUTED, align="center")
    return strip.render(doc.title, doc.department)
