"""以身份證登記圖書館服務 · Registo na biblioteca com o BIR · Register for the library.

Works offline (policy ``queue``); the contact details come prefilled from the
citizen's profile.
"""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.citizen import card_of, plain
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import StepContext
from kiosk.services.steps import Field, Finish, Form, Print, Submit

FIELDS = (
    Field("phone", "form.phone", kind="phone", max_length=16, example="+853 6612 3401"),
    Field("email", "form.email", kind="email", required=False, example="chan@example.mo"),
)


def _profile(ctx: StepContext) -> dict[str, str]:
    card = card_of(ctx)
    profile = plain(ctx.gateway.profile(card.card_number, card.id_number))
    return {"email": profile.get("email") or ""}


SERVICE = service("ic.library-card", "C F", "queue", (
    *identify(face=True),
    Form(id="contact", title="ic.card_title", fields=FIELDS, result_key="contact",
         prefill=_profile),
    Submit(form=lambda ctx: dict(ctx.session.data["contact"])),
    Print(id="print", optional=True, render=printouts.confirmation(
        "document.confirmation.library_card",
        lambda ctx: [("document.label.library_card", str(number))
                     for number in [printouts.result(ctx).get("library_card_number")]
                     if number])),
    Finish(message="ic.registered", reference=lambda ctx: printouts.submission(ctx).reference),
))
