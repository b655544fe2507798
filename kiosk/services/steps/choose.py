"""Let the citizen pick one thing, or several, from what their department offers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kiosk.services.common import money
from kiosk.services.common.texts import Text
from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True)
class Option:
    value: str
    title: Text
    lines: Sequence[Text] = ()
    amount: Decimal | None = None
    currency: str = "MOP"
    disabled: bool = False

    def view(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"value": self.value, "title": self.title,
                                 "lines": list(self.lines), "disabled": self.disabled}
        if self.amount is not None:
            shown.update(amount=money.text(self.amount), currency=self.currency)
        return shown


Options = Callable[[StepContext], Sequence[Option]]


@dataclass(frozen=True, kw_only=True)
class Choose(Step):
    id: str
    title: str  # text key
    options: Options
    result_key: str
    multi: bool = False
    # Shown (and the step stops) when nothing can be chosen.
    empty: str = "choose.nothing"
    # A single option that can be chosen is chosen for the citizen.
    auto_single: bool = False
    preselect: Callable[[Sequence[Option]], Sequence[str]] = field(
        default=lambda options: ())

    def enter(self, ctx: StepContext) -> None:
        offered = list(self.options(ctx))
        usable = [o for o in offered if not o.disabled]
        if not usable:
            ctx.fail(self.empty)
            return
        if self.auto_single and len(usable) == 1 and not self.multi:
            self._chosen(ctx, [usable[0].value])
            return
        ctx.state.update(offered=offered, selected=list(self.preselect(usable)))
        self._show(ctx)

    def _show(self, ctx: StepContext) -> None:
        offered: list[Option] = ctx.state["offered"]
        selected: list[str] = ctx.state["selected"]
        data: dict[str, Any] = {"title": self.title, "multi": self.multi,
                                "options": [o.view() for o in offered], "selected": selected}
        amounts = [o.amount for o in offered if o.value in selected and o.amount is not None]
        if self.multi and amounts:
            data.update(total=money.text(sum(amounts, Decimal(0))), currency=offered[0].currency)
        ctx.show("choose", **data)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        offered: list[Option] | None = ctx.state.get("offered")
        if offered is None:
            return
        usable = {o.value for o in offered if not o.disabled}
        if action == "pick" and not self.multi and value in usable:
            self._chosen(ctx, [value])
        elif action == "toggle" and self.multi and value in usable:
            selected: list[str] = ctx.state["selected"]
            if value in selected:
                selected.remove(value)
            else:
                selected.append(value)
            self._show(ctx)
        elif action == "confirm" and self.multi and ctx.state["selected"]:
            order = [o.value for o in offered]
            self._chosen(ctx, sorted(ctx.state["selected"], key=order.index))

    def _chosen(self, ctx: StepContext, values: list[str]) -> None:
        ctx.session.data[self.result_key] = values if self.multi else values[0]
        ctx.next()
