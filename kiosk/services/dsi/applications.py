"""The shape the Identification Services Bureau's applications share.

Prove who you are (card and face), choose what you apply for (a travel
document, a certificate's purpose ...), see the fee, pay it with a wallet, and
leave with a receipt and an application slip (number, when and where to collect).
"""

from __future__ import annotations

from decimal import Decimal

from kiosk.services.common import money, printouts
from kiosk.services.common.flows import (
    chosen_option,
    fee_options,
    identify,
    option_due,
    service,
)
from kiosk.services.contract import Service
from kiosk.services.steps import (
    Choose,
    CollectKept,
    Finish,
    Lookup,
    Pay,
    Print,
    Review,
    Submit,
)


def application(service_id: str, choose_title: str) -> Service:
    return service(service_id, "C F P R", "online", (
        *identify(face=True),
        CollectKept(done="done.take_receipt"),
        Lookup(),
        Choose(id="option", title=choose_title, options=fee_options, result_key="option",
               auto_single=True),
        Review(rows=lambda ctx: [
            ("review.applying_for", chosen_option(ctx)["label"]),
            ("review.fee", money.text(money.amount(chosen_option(ctx)["fee"])))],
               total=lambda ctx: sum((a for _, a in option_due(ctx)), Decimal(0))),
        Pay(due=option_due),
        Submit(form=lambda ctx: {"option": ctx.session.data["option"]}),
        Print(id="print_receipt", render=printouts.receipt()),
        Print(id="print_slip", render=printouts.application_slip()),
        Finish(message="done.take_receipt"),
    ))
