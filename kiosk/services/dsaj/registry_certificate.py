"""The shape the Legal Affairs Bureau's registry certificates share.

The citizen types the registration number, the registry finds the entry and
its fee, the citizen pays, and the certificate prints on A4 with a
verification code.
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

    def entered(ctx: StepContext) -> dict[str, str]:
        return ctx.session.data["entry"]

    def due(ctx: StepContext) -> list[tuple[Text, Decimal]]:
        return [(o["label"], money.amount(o["fee"])) for o in records(ctx).get("options", [])]

    def printed(ctx: StepContext) -> list[tuple[str, str]]:
        done: dict[str, Any] = printouts.result(ctx)
        return [(label, str(done.get(key, ""))) for label, key in lines]

    return service(service_id, "C P R", "online", (
        *identify(face=False),
        CollectKept(done="done.take_certificate"),
        Form(id="entry", title="dsaj.entry_title", fields=(number,), result_key="entry"),
        Lookup(params=entered),
        Review(rows=lambda ctx: [(number.label, entered(ctx)[number.name]),
                                 (found_label, str(records(ctx).get(found_key, "")))],
               total=lambda ctx: sum((a for _, a in due(ctx)), Decimal(0))),
        Pay(due=due),
        Submit(form=entered),
        Print(id="print", render=printouts.certificate(f"service.{service_id}", printed)),
        Finish(message="done.take_certificate"),
    ))
