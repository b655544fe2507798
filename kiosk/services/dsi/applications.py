"""The shape the Identification Services Bureau's applications share.

Prove who you are (card and face), choose what you apply for (a travel
document, a certificate's purpose ...), see the fee, pay it with a wallet, and
leave with a receipt and an application slip (number, when and where to collect).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kiosk.services.common import money, printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import identify, service
from kiosk.services.common.texts import Text
from kiosk.services.contract import Service, StepContext
from kiosk.services.steps import (
    Choose,
    CollectKept,
    Finish,
    Lookup,
    Option,
    Pay,
    Print,
    Review,
    Submit,
)


def _options(ctx: StepContext) -> list[Option]:
    return [Option(str(o["id"]), o["label"], amount=money.amount(o["fee"]))
            for o in records(ctx).get("options", [])]


def _chosen(ctx: StepContext) -> dict[str, Any]:
    wanted = ctx.session.data["option"]
    return next(o for o in records(ctx)["options"] if str(o["id"]) == wanted)


def _due(ctx: StepContext) -> list[tuple[Text, Decimal]]:
    option = _chosen(ctx)
    return [(option["label"], money.amount(option["fee"]))]


def application(service_id: str, choose_title: str) -> Service:
    return service(service_id, "C F P R", "online", (
        *identify(face=True),
        CollectKept(done="done.take_receipt"),
        Lookup(),
        Choose(id="option", title=choose_title, options=_options, result_key="option",
               auto_single=True),
        Review(rows=lambda ctx: [("review.applying_for", _chosen(ctx)["label"]),
                                 ("review.fee", money.text(money.amount(_chosen(ctx)["fee"])))],
               total=lambda ctx: sum((a for _, a in _due(ctx)), Decimal(0))),
        Pay(due=_due),
        Submit(form=lambda ctx: {"option": ctx.session.data["option"]}),
        Print(id="print_receipt", render=printouts.receipt()),
        Print(id="print_slip", render=printouts.application_slip()),
        Finish(message="done.take_receipt"),
    ))
