"""圖書借閱及續借 · Empréstimos e renovações · Library loans and renewals."""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import identify, listed, service
from kiosk.services.common.texts import localised
from kiosk.services.contract import StepContext
from kiosk.services.steps import Choose, Finish, Lookup, Option, Print, Submit


def _loans(ctx: StepContext) -> list[Option]:
    return [Option(str(loan["loan_id"]), loan["title"], [str(loan["due_on"])],
                   disabled=not loan.get("renewable", False))
            for loan in records(ctx).get("loans", [])]


def _renewed(ctx: StepContext) -> list[tuple[str, str]]:
    return [("document.label.due_on",
             f"{loan['due_on']} · {localised(loan['title'], ctx.session.lang)}")
            for loan in printouts.result(ctx).get("renewed", [])]


SERVICE = service("ic.library-loans", "C", "online", (
    *identify(face=False),
    Lookup(empty=listed("loans")),
    Choose(id="loans", title="ic.choose_loans", multi=True, result_key="loans", options=_loans,
           empty="ic.nothing_to_renew", preselect=lambda options: [o.value for o in options]),
    Submit(form=lambda ctx: {"loan_ids": list(ctx.session.data["loans"])}),
    Print(id="print", optional=True, render=printouts.confirmation(
        "document.confirmation.renewal", _renewed)),
    Finish(message="ic.renewed", reference=lambda ctx: printouts.submission(ctx).reference),
))
