"""移轉醫療券 · Transferência de vales de saúde · Transfer vouchers to a family member.

Only to a family member whose relationship the bureau has verified; confirmed
with a code sent to the citizen's phone.
"""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import identify, listed, service
from kiosk.services.contract import StepContext
from kiosk.services.ssm.family import member, members, relation
from kiosk.services.steps import (
    Choose,
    ChooseQuantity,
    Finish,
    Lookup,
    Print,
    QuantityOffer,
    Review,
    SecondFactor,
    Submit,
)


def _offer(ctx: StepContext) -> QuantityOffer:
    found = records(ctx)
    return QuantityOffer(int(found["available"]), int(found["value"]), str(found["currency"]))


def _slip_rows(ctx: StepContext) -> list[tuple[str, str]]:
    done = printouts.result(ctx)
    return [("document.label.transferred_to", str(done.get("member_name_masked", ""))),
            ("document.label.vouchers", str(done.get("count", "")))]


SERVICE = service("ssm.voucher-transfer", "C F 2", "online", (
    *identify(face=True),
    Lookup(empty=listed("available")),
    Choose(id="member", title="ssm.transfer.choose_member", result_key="member",
           options=lambda ctx: members(ctx, verified_only=True), empty="ssm.transfer.no_family"),
    ChooseQuantity(id="count", load=_offer, result_key="count", title="ssm.transfer.how_many",
                   none_left="ssm.vouchers.none_left", unit="ssm.vouchers.unit"),
    SecondFactor(),
    Review(rows=lambda ctx: [("review.transfer_to", member(ctx)["name_masked"]),
                             ("review.relation", relation(member(ctx))),
                             ("review.vouchers", str(ctx.session.data["count"]))]),
    Submit(form=lambda ctx: {"member_id": ctx.session.data["member"],
                             "count": ctx.session.data["count"]}),
    Print(id="print", optional=True, render=printouts.confirmation(
        "document.confirmation.transfer", _slip_rows)),
    Finish(message="done.take_card", reference=lambda ctx: printouts.submission(ctx).reference),
))
