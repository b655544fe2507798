"""更改聯絡資料 · Alteração dos dados de contacto · Update contact details.

Prefilled from the citizen's record: they correct what changed, confirm with a
code sent to their registered phone, and get a confirmation slip if a printer
is there.
"""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.citizen import card_of, plain
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import StepContext
from kiosk.services.steps import Field, Finish, Form, Print, Review, SecondFactor, Submit

FIELDS = (
    Field("phone", "form.phone", kind="phone", max_length=16, example="+853 6612 3401"),
    Field("email", "form.email", kind="email", required=False, example="chan@example.mo"),
    Field("address", "form.address", kind="multiline", max_length=120,
          example="Avenida da Praia Grande 804"),
)


def _profile(ctx: StepContext) -> dict[str, str]:
    card = card_of(ctx)
    profile = plain(ctx.gateway.profile(card.card_number, card.id_number))
    # The phone on record is masked by the gateway: the citizen types the new one.
    return {"email": profile.get("email") or "", "address": profile.get("address") or ""}


def _entered(ctx: StepContext) -> dict[str, str]:
    return ctx.session.data["contact"]


SERVICE = service("dsi.contact-update", "C F 2", "online", (
    *identify(face=True),
    Form(id="contact", title="dsi.contact.title", fields=FIELDS, result_key="contact",
         prefill=_profile, note="dsi.contact.note"),
    SecondFactor(),
    Review(rows=lambda ctx: [(f.label, _entered(ctx)[f.name] or "—") for f in FIELDS]),
    Submit(form=_entered),
    Print(id="print", optional=True, render=printouts.confirmation(
        "document.confirmation.contact_update",
        lambda ctx: [("document.label.updated", ", ".join(
            printouts.result(ctx).get("updated", [])))])),
    Finish(message="done.take_card", reference=lambda ctx: printouts.submission(ctx).reference),
))
