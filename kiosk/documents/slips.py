"""Receipt-printer slips: payment receipt, application slip, proof-of-life slip.

Each is a frozen dataclass the service fills in and a ``render_*(doc, lang)``
that returns an 80 mm wide PDF. Names of departments, services, payment
methods and places are text keys, so the slip speaks the citizen's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from reportlab.lib.units import mm

from kiosk.documents import codes, layout
from kiosk.documents.fonts import check_glyphs
from kiosk.documents.layout import ACCENT, MUTED, bilingual
from kiosk.documents.thermal import Strip
from kiosk.i18n import t

STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ReceiptDocument:
    department: str  # text key, e.g. "document.header.identification"
    service: str  # text key, e.g. "document.service.id_card_renewal"
    amount: Decimal
    currency: str
    payment_method: str  # text key, e.g. "document.payment.bank_card"
    reference: str  # the payment gateway's transaction reference
    paid_at: datetime
    terminal_id: str

    @property
    def verify_url(self) -> str:
        return codes.verification_url(self.reference)


@dataclass(frozen=True)
class ApplicationSlipDocument:
    department: str
    service: str
    application_number: str
    submitted_at: datetime
    collect_from: date  # the first day the document can be collected
    collect_place: str  # text key, e.g. "document.place.dsi_service_centre"
    terminal_id: str

    @property
    def verify_url(self) -> str:
        return codes.verification_url(self.application_number)


ProofStatus = Literal["delivered", "queued"]


@dataclass(frozen=True)
class ProofOfLifeDocument:
    fund: str  # text key of the fund, e.g. "document.header.pension_fund"
    reference: str
    recorded_at: datetime
    status: ProofStatus  # "queued": recorded on the kiosk, sent when the network is back
    terminal_id: str


def _common(strip: Strip, department: str, title: str) -> None:
    strip.header(department)
    strip.title(title)


def _named(strip: Strip, key: str, size: float = 9.5) -> None:
    """A named thing (service, place, fund) in Chinese, then smaller in the second language."""
    strip.text(t(key, "zh-Hant"), size, bold=True)
    strip.text(t(key, layout.second_language(strip.lang)), size - 1.5)
    strip.space(1 * mm)


def _check(*texts: str) -> None:
    # Refuse a slip with an undrawable character before anything is printed.
    for text in texts:
        check_glyphs(text)


def _footer(strip: Strip, note_key: str, terminal_id: str) -> None:
    strip.space(1.5 * mm)  # clear of a full-width line above, such as the status
    strip.rule(dashed=True)
    for lang in ("zh-Hant", layout.second_language(strip.lang)):
        strip.text(t(note_key, lang), 6.8, colour=MUTED, align="center")
    strip.space(1 * mm)
    strip.text(
        f"{bilingual('document.label.terminal', strip.lang)} {terminal_id}",
        6.2,
        colour=MUTED,
        align="center",
    )


def render_receipt(doc: ReceiptDocument, lang: str) -> bytes:
    """The payment receipt as an 80 mm PDF, labelled in Chinese and ``lang``."""
    layout.check_language(lang)
    if doc.amount < 0:
        raise ValueError("a receipt cannot show a negative amount")
    codes.check_code128(doc.reference)
    _check(doc.currency, doc.terminal_id)
    strip = Strip(lang)
    _common(strip, doc.department, "document.receipt.title")
    strip.label("document.label.service")
    _named(strip, doc.service, 9.5)
    strip.rule()
    strip.field("document.label.amount", f"{doc.currency} {doc.amount:,.2f}", size=14)
    strip.field("document.label.payment_method", bilingual(doc.payment_method, lang), size=8)
    strip.field("document.label.paid_at", doc.paid_at.strftime(STAMP), size=8.5, bold=False)
    strip.field("document.label.reference", doc.reference, size=8.5)
    strip.space(2 * mm)
    strip.barcode(doc.reference)
    strip.space(2 * mm)
    strip.qr(doc.verify_url, "document.label.scan_to_verify")
    _footer(strip, "document.receipt.keep", doc.terminal_id)
    return strip.render("document.receipt.pdf_title", doc.department)


def render_application_slip(doc: ApplicationSlipDocument, lang: str) -> bytes:
    """The application slip (what was applied for, when and where to collect) as an 80 mm PDF."""
    layout.check_language(lang)
    codes.verification_url(doc.application_number)  # URL-safe, or ValueError now
    _check(doc.terminal_id)
    strip = Strip(lang)
    _common(strip, doc.department, "document.application.title")
    strip.label("document.label.application_number")
    strip.text(doc.application_number, 17, bold=True, colour=ACCENT, align="center")
    strip.rule()
    strip.label("document.label.service")
    _named(strip, doc.service, 9.5)
    strip.field("document.label.submitted_at", doc.submitted_at.strftime(STAMP), 8.5, False)
    strip.rule()
    strip.field("document.label.collect_from", doc.collect_from.isoformat(), size=11)
    strip.label("document.label.collect_place")
    _named(strip, doc.collect_place, 9)
    strip.space(2 * mm)
    strip.qr(doc.verify_url, "document.label.scan_for_progress")
    _footer(strip, "document.application.bring", doc.terminal_id)
    return strip.render("document.application.pdf_title", doc.department)


def render_proof_of_life(doc: ProofOfLifeDocument, lang: str) -> bytes:
    """The proof-of-life slip, saying whether the proof reached the fund yet, as an 80 mm PDF."""
    layout.check_language(lang)
    if doc.status not in ("delivered", "queued"):
        raise ValueError(f"status must be delivered or queued, not {doc.status!r}")
    codes.check_code128(doc.reference)
    _check(doc.terminal_id)
    strip = Strip(lang)
    _common(strip, doc.fund, "document.proof_of_life.title")
    strip.label("document.label.fund")
    _named(strip, doc.fund, 9.5)
    strip.field("document.label.reference", doc.reference, size=9)
    strip.field("document.label.recorded_at", doc.recorded_at.strftime(STAMP), 8.5, False)
    strip.rule()
    status = f"document.proof_of_life.{doc.status}"
    colour = ACCENT if doc.status == "delivered" else layout.INK
    strip.label("document.label.status")
    strip.text(t(status, "zh-Hant"), 11, bold=True, colour=colour, align="center")
    strip.text(
        t(status, layout.second_language(lang)), 8.5, bold=True, colour=colour, align="center"
    )
    _footer(strip, "document.proof_of_life.keep", doc.terminal_id)
    return strip.render("document.proof_of_life.pdf_title", doc.fund)
