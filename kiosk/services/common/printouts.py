"""The printouts the services hand out, built from what the gateway answered.

Each function returns a ``render(ctx, media)`` for the Print step: the document
in the citizen's language (with Chinese and Portuguese, as official papers
are), and a job name that holds a reference, never a name or an ID number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kiosk.documents import mask_id_number
from kiosk.documents.certificate import CertificateDocument, render_certificate
from kiosk.documents.confirmation import ConfirmationSlip, render_confirmation
from kiosk.documents.slips import (
    ApplicationSlipDocument,
    ProofOfLifeDocument,
    ReceiptDocument,
    render_application_slip,
    render_proof_of_life,
    render_receipt,
)
from kiosk.i18n import has
from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.contract import StepContext
from kiosk.services.steps.pay import PAID_KEY

Render = Callable[[StepContext, str], tuple[bytes, str]]
# ctx -> (label text key, value in the citizen's language) rows
Rows = Callable[[StepContext], Sequence[tuple[str, str]]]


def submission(ctx: StepContext) -> Any:
    found = ctx.session.data.get("submission")
    if found is None:
        raise RuntimeError("this printout needs the Submit step first")
    return found


def result(ctx: StepContext) -> dict[str, Any]:
    return dict(submission(ctx).result)


def _names(ctx: StepContext) -> tuple[str, str, str]:
    sid = service_id(ctx)
    return sid, f"department.{sid.split('.')[0]}", f"service.{sid}"


def _job(ctx: StepContext, kind: str, reference: str) -> str:
    return f"{service_id(ctx)}-{kind}-{reference}"


def receipt() -> Render:
    """The payment receipt: what was paid for, how much, the payment's reference."""

    def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
        _, department, service = _names(ctx)
        done = submission(ctx)
        reference = str(done.result.get("receipt_number") or done.reference)
        paid = ctx.session.data.get(PAID_KEY, Decimal(0))
        doc = ReceiptDocument(department=department, service=service, amount=Decimal(paid),
                              currency="MOP", payment_method="document.payment.e_wallet",
                              reference=reference, paid_at=datetime.now().replace(microsecond=0),
                              terminal_id=ctx.terminal_id)
        return render_receipt(doc, ctx.session.lang), _job(ctx, "receipt", reference)

    return render


def application_slip() -> Render:
    """What was applied for, its number, when and where to collect."""

    def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
        _, department, service = _names(ctx)
        found = result(ctx)
        number = str(found["application_number"])
        doc = ApplicationSlipDocument(
            department=department, service=service, application_number=number,
            submitted_at=datetime.now().replace(microsecond=0),
            collect_from=date.fromisoformat(str(found["collect_from"])),
            collect_place=_place(found.get("collect_place")),
            terminal_id=ctx.terminal_id)
        return render_application_slip(doc, ctx.session.lang), _job(ctx, "slip", number)

    return render


def _place(place: Any) -> str:
    """The collection place as a text key: the gateway names a known place by id;
    anything else (a free text) is the Bureau's service centre, where applications
    are collected."""
    key = f"document.place.{place}"
    return key if isinstance(place, str) and has(key) else "document.place.dsi_service_centre"


def proof_of_life_slip() -> Render:
    def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
        _, department, _ = _names(ctx)
        done = submission(ctx)
        doc = ProofOfLifeDocument(
            fund=department, reference=done.reference,
            recorded_at=datetime.now().replace(microsecond=0),
            status="delivered" if done.status == "completed" else "queued",
            terminal_id=ctx.terminal_id)
        return render_proof_of_life(doc, ctx.session.lang), _job(ctx, "proof", done.reference)

    return render


def certificate(title: str, lines: Rows) -> Render:
    """An A4 certificate with the holder's names and a verification code and QR."""

    def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
        _, department, _ = _names(ctx)
        card = card_of(ctx)
        found = result(ctx)
        code = str(found["verification_code"])
        doc = CertificateDocument(
            title=title, department=department, holder_name_zh=card.name_zh,
            holder_name_latin=card.name_latin,
            lines=(("document.label.id_number", mask_id_number(card.id_number)),
                   *lines(ctx)),
            issued_on=date.today(), verification_code=code)
        return render_certificate(doc, ctx.session.lang), _job(ctx, "certificate", code)

    return render


def confirmation(title: str, rows: Rows, reference: Callable[[StepContext], str] | None = None
                 ) -> Render:
    """A slip saying what was done, under the submission's reference."""

    def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
        _, department, service = _names(ctx)
        ref = reference(ctx) if reference else submission(ctx).reference
        queued = getattr(ctx.session.data.get("submission"), "status", "") == "queued"
        doc = ConfirmationSlip(department=department, service=service, title=title,
                               reference=ref, rows=tuple(rows(ctx)),
                               issued_at=datetime.now().replace(microsecond=0),
                               terminal_id=ctx.terminal_id,
                               note="document.confirmation.queued" if queued
                               else "document.confirmation.keep")
        return render_confirmation(doc, ctx.session.lang, media), _job(ctx, "slip", ref)

    return render
