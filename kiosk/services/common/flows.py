"""Declaring a built-in service in a few lines: its texts come from the one
catalogue, its identity steps and its common shapes (pay a bill, show a status,
print a certificate) are shared."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kiosk.i18n import LANGUAGES, all_languages
from kiosk.services.common import money
from kiosk.services.common.citizen import records
from kiosk.services.common.texts import Text
from kiosk.services.contract import Need, OfflinePolicy, Service, Step, StepContext
from kiosk.services.steps import (
    Choose,
    CollectKept,
    Finish,
    Lookup,
    Option,
    Pay,
    Print,
    ReadCard,
    Review,
    ShowResult,
    Submit,
    VerifyFace,
)
from kiosk.services.steps.result import Render


def service(service_id: str, needs: str, offline: str, steps: Iterable[Step]) -> Service:
    """A built-in service: ``needs`` in SERVICES.md's letters (C F 2 P R)."""
    letters = {"C": Need.CARD, "F": Need.FACE, "2": Need.SECOND_FACTOR, "P": Need.PAYMENT,
               "R": Need.PRINTER}
    return Service(id=service_id, department=service_id.split(".")[0],
                   titles=all_languages(f"service.{service_id}"),
                   needs=frozenset(letters[n] for n in needs.split()),
                   offline=OfflinePolicy(offline), steps=tuple(steps),
                   outcome=all_languages(f"outcome.{service_id}"))


def identify(face: bool) -> tuple[Step, ...]:
    """The card, and the face against the card photo when the service needs it."""
    return (ReadCard(enroll_face=True), VerifyFace()) if face else (ReadCard(),)


def listed(key: str) -> Callable[[dict[str, Any]], str | None]:
    """An ``empty`` check for Lookup: stop with "nothing outstanding" (``lookup.nothing``)
    when the records' ``key`` is empty."""

    def empty(found: dict[str, Any]) -> str | None:
        return None if found.get(key) else "lookup.nothing"

    return empty


def bills(list_key: str, id_key: str, title: Callable[[dict[str, Any]], Text],
          lines: Callable[[dict[str, Any]], Sequence[Text]]) -> Callable[[StepContext],
                                                                        list[Option]]:
    """Choice options from a list of things to pay (fines, tax bills, vehicles)."""

    def options(ctx: StepContext) -> list[Option]:
        return [Option(str(item[id_key]), title(item), list(lines(item)),
                       amount=money.amount(item["amount"]))
                for item in records(ctx).get(list_key, [])]

    return options


def as_label(text: Text) -> dict[str, str]:
    """A department's text as a label: a plain string (a plate, a bill number) reads
    the same in every language."""
    return dict(text) if isinstance(text, Mapping) else {lang: str(text) for lang in LANGUAGES}


def chosen_total(list_key: str, id_key: str, chosen_key: str,
                 title: Callable[[dict[str, Any]], Text]
                 ) -> Callable[[StepContext], list[tuple[Text, Decimal]]]:
    """What the chosen bills cost, as Pay's items labelled with their titles."""

    def due(ctx: StepContext) -> list[tuple[Text, Decimal]]:
        chosen = set(ctx.session.data.get(chosen_key, []))
        return [(as_label(title(item)), money.amount(item["amount"]))
                for item in records(ctx).get(list_key, []) if str(item[id_key]) in chosen]

    return due


def fee_options(ctx: StepContext) -> list[Option]:
    """The looked-up ``options`` (``[{id, label, fee}]``: kinds of a document, each
    with its fee) as choices."""
    return [Option(str(o["id"]), o["label"], amount=money.amount(o["fee"]))
            for o in records(ctx).get("options", [])]


def chosen_option(ctx: StepContext) -> dict[str, Any]:
    """The option the ``option`` Choose step picked."""
    wanted = ctx.session.data["option"]
    return next(o for o in records(ctx)["options"] if str(o["id"]) == wanted)


def option_due(ctx: StepContext) -> list[tuple[Text, Decimal]]:
    """What the chosen option costs, as Pay's one item."""
    option = chosen_option(ctx)
    return [(option["label"], money.amount(option["fee"]))]


def pay_bills(service_id: str, *, list_key: str, id_key: str, form_key: str, choose_title: str,
              title: Callable[[dict[str, Any]], Text],
              lines: Callable[[dict[str, Any]], Sequence[Text]],
              render: Render) -> Service:
    """Find what the citizen owes, let them choose, pay, submit, print the receipt."""
    due = chosen_total(list_key, id_key, "chosen", title)
    return service(service_id, "C P R", "online", (
        *identify(face=False),
        CollectKept(done="done.take_receipt"),
        Lookup(empty=listed(list_key)),
        Choose(id="choose", title=choose_title, multi=True, result_key="chosen",
               options=bills(list_key, id_key, title, lines),
               preselect=lambda options: [o.value for o in options]),
        Review(rows=lambda ctx: [(label, money.text(a)) for label, a in due(ctx)],
               total=lambda ctx: sum((a for _, a in due(ctx)), Decimal(0))),
        Pay(due=due),
        Submit(form=lambda ctx: {form_key: list(ctx.session.data["chosen"])}),
        Print(id="print", render=render, message="wait.printing"),
        Finish(message="done.take_receipt"),
    ))


def status(service_id: str, *, title: str, rows: Callable[[StepContext], Sequence[tuple]],
           table: Callable[[StepContext], tuple | None] | None = None,
           render: Render | None = None, face: bool = False, needs: str = "C",
           fetch: Callable[[StepContext], dict[str, Any]] | None = None) -> Service:
    """Look something up and show it on screen (with a printed copy if offered)."""
    return service(service_id, needs, "online", (
        *identify(face),
        Lookup(fetch=fetch),
        ShowResult(title=title, rows=rows, table=table, render=render),
    ))
