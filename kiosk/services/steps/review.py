"""Show the citizen what will be sent (and what it costs) before it is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kiosk.services.common import money
from kiosk.services.common.texts import Text
from kiosk.services.contract import Step, StepContext

Rows = Callable[[StepContext], Sequence[tuple[Text, Text]]]


@dataclass(frozen=True, kw_only=True)
class Review(Step):
    id: str = "review"
    title: str = "review.title"
    rows: Rows
    # The amount to pay, if any (shown as the total).
    total: Callable[[StepContext], Decimal] | None = None
    note: str | None = None

    def enter(self, ctx: StepContext) -> None:
        data: dict[str, Any] = {"title": self.title, "rows": [
            {"label": label, "value": value} for label, value in self.rows(ctx)]}
        if self.total is not None:
            data.update(total=money.text(self.total(ctx)), currency="MOP")
        if self.note:
            data["note"] = self.note
        ctx.show("review", **data)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        if action == "confirm":
            ctx.next()
