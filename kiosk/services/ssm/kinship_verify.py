"""核實親屬關係 · Verificação de relação de parentesco · Verify a family relationship.

The bureau checks the relationship against the civil registry; verified
kinship is what voucher transfers rely on.
"""

from __future__ import annotations

from kiosk.i18n import all_languages
from kiosk.services.common import printouts
from kiosk.services.common.flows import identify, service
from kiosk.services.common.texts import localised
from kiosk.services.contract import StepContext
from kiosk.services.ssm.family import member, members, relation
from kiosk.services.steps import Choose, Lookup, ShowResult, Submit


def _verified(ctx: StepContext) -> bool:
    return bool(printouts.result(ctx).get("verified"))


def _rows(ctx: StepContext) -> list[tuple[str, object]]:
    return [("review.family_member", member(ctx)["name_masked"]),
            ("review.relation", relation(member(ctx))),
            ("kinship.outcome", all_languages("kinship.verified" if _verified(ctx)
                                              else "kinship.not_verified"))]


SERVICE = service("ssm.kinship-verify", "C F", "online", (
    *identify(face=True),
    Lookup(),
    Choose(id="member", title="ssm.kinship.choose_member", result_key="member",
           options=lambda ctx: members(ctx, verified_only=False), empty="ssm.transfer.no_family"),
    Submit(form=lambda ctx: {"member_id": ctx.session.data["member"]}),
    ShowResult(title="kinship.title", rows=_rows,
               tone=lambda ctx: "ok" if _verified(ctx) else "warning",
               render=printouts.confirmation(
                   "document.confirmation.kinship",
                   lambda ctx: [("document.label.relation", localised(
                       relation(member(ctx)), ctx.session.lang))])),
))
