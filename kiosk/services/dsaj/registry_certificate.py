"""The shape the Legal Affairs Bureau's registry certificates share.

The citizen types the registration number, the registry finds the entry and
its fee, the citizen pays, and the certificate prints on A4 with a
verification code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kiosk.services.common import printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import (
    chosen_option,
    fee_options,
    identify,
    option_due,
    service,
)
from kiosk.services.common.texts import localised
from kiosk.services.contract import Service, StepContext
from kiosk.services.steps import (
    Choose,
    CollectKept,
    Field,
    Finish,
    Form,
    Lookup,
    Pay,
    Print,
    Review,
    Submit,
)


def registry_certificate(service_id: str, *, number: Field, found_label: str, found_key: str,
                         lines: list[tuple[str, str]]) -> Service:
    """``lines``: (label text key, key in the submit result) printed on the certificate."""

    def suggested(ctx: StepContext) -> dict[str, str]:
        # The registry knows the entries the citizen is party to: offer the first.
        found = records(ctx).get("suggestions", [])
        return {number.name: str(found[0][number.name])} if found else {}

    def entered(ctx: StepContext) -> dict[str, str]:
        return ctx.session.data["entry"]

    def printed(ctx: StepContext) -> list[tuple[str, str]]:
        done: dict[str, Any] = printouts.result(ctx)
        return [(label, localised(done.get(key, ""), ctx.session.lang)) for label, key in lines]

    return service(service_id, "C P R", "online", (
        *identify(face=False),
        CollectKept(done="done.take_certificate"),
        Lookup(),
        Form(id="entry", title="dsaj.entry_title", fields=(number,), result_key="entry",
             prefill=suggested),
        Lookup(id="find", params=entered),
        Choose(id="option", title="dsaj.choose_certificate", result_key="option",
               auto_single=True,
               options=fee_options),
        Review(rows=lambda ctx: [(number.label, entered(ctx)[number.name]),
                                 (found_label, records(ctx).get(found_key, "")),
                                 ("review.applying_for", chosen_option(ctx)["label"])],
               total=lambda ctx: sum((a for _, a in option_due(ctx)), Decimal(0))),
        Pay(due=option_due),
        Submit(form=lambda ctx: {**entered(ctx), "option": ctx.session.data["option"]}),
        Print(id="print", render=printouts.certificate(f"service.{service_id}", printed)),
        Finish(message="done.take_certificate"),
    ))
