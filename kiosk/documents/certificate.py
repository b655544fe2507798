"""A4 certificates (證明書 / Certidão) that anyone can verify online.

The page carries the official header, the certificate's title, the holder, the
particulars the issuing service supplies as (label key, value) lines, and at
the foot a verification code in large type beside a QR code of its
verification address. No signature: a reader checks the code instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents import codes, layout
from kiosk.documents.fonts import check_glyphs, draw_text, fit_size
from kiosk.documents.layout import (
    ACCENT,
    ACCENT_TINT,
    INK,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    Box,
    bilingual,
)
from kiosk.i18n import t

MARGIN = 18 * mm
QR_SIZE = 34 * mm


@dataclass(frozen=True)
class CertificateDocument:
    title: str  # text key of the certificate's name, e.g. "document.service.contribution_record"
    department: str  # text key of the issuing department
    holder_name_zh: str
    holder_name_latin: str
    lines: tuple[tuple[str, str], ...]  # (label text key, value), in print order
    issued_on: date
    verification_code: str  # e.g. "7F3K-92QD-M4XA"; the QR holds its verification address

    @property
    def verify_url(self) -> str:
        return codes.verification_url(self.verification_code)


def _check(doc: CertificateDocument) -> None:
    codes.verification_url(doc.verification_code)
    for key, value in doc.lines:
        t(key, "zh-Hant")  # MissingText now, not half way through the page
        check_glyphs(value)
    check_glyphs(doc.holder_name_zh + doc.holder_name_latin)


def render_certificate(doc: CertificateDocument, lang: str) -> bytes:
    """The certificate as a one-page A4 PDF, in Chinese and the citizen's second language."""
    layout.check_language(lang)
    _check(doc)
    buffer = io.BytesIO()
    canvas = layout.new_document(
        buffer, t("document.certificate.pdf_title", lang), lang, department=doc.department
    )
    frame = Box(MARGIN, MARGIN, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN)
    _draw_frame(canvas, frame)
    inner = frame.inset(12 * mm, 12 * mm)
    y = layout.draw_official_header(canvas, inner.x, inner.top, inner.w, lang, doc.department, 1.5)
    y = _draw_title(canvas, inner, y - 16 * mm, doc.title, lang)
    y = _draw_particulars(canvas, inner, y - 10 * mm, doc, lang)
    _draw_issuer(canvas, inner, y - 12 * mm, doc, lang)
    _draw_verification(canvas, Box(inner.x, inner.y, inner.w, QR_SIZE + 8 * mm), doc, lang)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_frame(canvas: Canvas, frame: Box) -> None:
    # A double rule, heavy outside and hairline inside, as on printed official forms.
    canvas.saveState()
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.6)
    canvas.rect(frame.x, frame.y, frame.w, frame.h)
    canvas.setLineWidth(0.5)
    inset = frame.inset(2.2 * mm)
    canvas.rect(inset.x, inset.y, inset.w, inset.h)
    canvas.restoreState()


def _draw_title(canvas: Canvas, area: Box, top: float, key: str, lang: str) -> float:
    canvas.setFillColor(INK)
    zh = t(key, "zh-Hant")
    size = fit_size(zh, area.w, 26, bold=True)
    draw_text(canvas, area.center_x, top - size, zh, size, bold=True, align="center")
    second = t(key, layout.second_language(lang))
    canvas.setFillColor(ACCENT)
    small = fit_size(second, area.w, 14, bold=True)
    y = top - size - 8 - small
    draw_text(canvas, area.center_x, y, second, small, bold=True, align="center")
    canvas.setFillColor(MUTED)
    y -= 10 * mm
    for lang_ in ("zh-Hant", layout.second_language(lang)):
        text = t("document.certificate.certifies", lang_)
        draw_text(canvas, area.center_x, y, text, fit_size(text, area.w, 9.5), align="center")
        y -= 13
    return y


def _draw_particulars(
    canvas: Canvas, area: Box, top: float, doc: CertificateDocument, lang: str
) -> float:
    """The holder, then each (label, value) line: label left, value right of a column."""
    rows: list[tuple[str, Sequence[tuple[str, float, bool]]]] = [
        (
            bilingual("document.label.holder", lang),
            [(doc.holder_name_zh, 15, True), (doc.holder_name_latin, 11, False)],
        )
    ]
    rows += [(bilingual(key, lang), [(value, 12, True)]) for key, value in doc.lines]
    label_width = 62 * mm
    value_x = area.x + label_width
    y = top
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(area.x, y, area.right, y)
    for label, values in rows:
        row_top = y
        canvas.setFillColor(MUTED)
        first_baseline = row_top - 4 - values[0][1] * 1.25  # label level with the value
        draw_text(canvas, area.x, first_baseline, label, fit_size(label, label_width - 8, 9))
        canvas.setFillColor(INK)
        y = row_top - 4
        for text, size, bold in values:
            y -= size * 1.25
            draw_text(canvas, value_x, y, text, fit_size(text, area.right - value_x, size), bold)
        y -= 8
        canvas.line(area.x, y, area.right, y)
    canvas.restoreState()
    return y


def _draw_issuer(
    canvas: Canvas, area: Box, top: float, doc: CertificateDocument, lang: str
) -> None:
    second = layout.second_language(lang)
    canvas.setFillColor(INK)
    issued = f"{bilingual('document.label.issued_on', lang)}  {doc.issued_on.isoformat()}"
    draw_text(canvas, area.right, top, issued, 9.5, align="right")
    names = (t(doc.department, "zh-Hant"), t(doc.department, second))
    draw_text(canvas, area.right, top - 20, names[0], 13, bold=True, align="right")
    canvas.setFillColor(ACCENT)
    draw_text(canvas, area.right, top - 35, names[1], 10, bold=True, align="right")
    canvas.setFillColor(MUTED)
    for index, lang_ in enumerate(("zh-Hant", second)):
        text = t("document.certificate.no_signature", lang_)
        draw_text(canvas, area.right, top - 52 - index * 11, text, 7.5, align="right")


def _draw_verification(canvas: Canvas, box: Box, doc: CertificateDocument, lang: str) -> None:
    """A tinted panel: how to verify, the code in large type, and the QR on the right."""
    canvas.saveState()
    canvas.setFillColor(ACCENT_TINT)
    canvas.roundRect(box.x, box.y, box.w, box.h, 3 * mm, stroke=0, fill=1)
    canvas.restoreState()
    qr_x = box.right - 4 * mm - QR_SIZE
    codes.draw_qr(canvas, doc.verify_url, qr_x, box.y + 4 * mm, QR_SIZE)
    text = Box(box.x + 6 * mm, box.y, qr_x - box.x - 10 * mm, box.h)
    y = box.top - 6 * mm - 8
    canvas.setFillColor(MUTED)
    draw_text(canvas, text.x, y, bilingual("document.label.verification_code", lang), 8.5)
    canvas.setFillColor(ACCENT)
    size = fit_size(doc.verification_code, text.w, 24, bold=True)
    y -= size + 6
    draw_text(canvas, text.x, y, doc.verification_code, size, bold=True)
    canvas.setFillColor(MUTED)
    y -= 8 * mm
    for lang_ in ("zh-Hant", layout.second_language(lang)):
        line = t("document.certificate.verify_at", lang_)
        draw_text(canvas, text.x, y, line, fit_size(line, text.w, 7.5))
        y -= 10
    canvas.setFillColor(INK)
    base = codes.VERIFY_BASE_URL
    draw_text(canvas, text.x, y - 2, base, fit_size(base, text.w, 8.5), bold=True)
