"""Let the citizen choose how many of something (vouchers, copies) they want."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True)
class QuantityOffer:
    maximum: int
    unit_value: int
    currency: str
    # Extra view data the screen shows (text keys or plain values, never raw personal data).
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ChooseQuantity(Step):
    id: str
    # Runs off the UI thread: ask the backend what the citizen may have.
    load: Callable[[StepContext], QuantityOffer]
    result_key: str
    title: str  # text key
    none_left: str  # text key shown when the maximum is 0
    unit: str  # text key naming one item

    def enter(self, ctx: StepContext) -> None:
        ctx.show("progress", message="wait.loading")
        ctx.run(lambda: self.load(ctx), lambda offer: self._offered(ctx, offer), wait=self.id)

    def _offered(self, ctx: StepContext, offer: QuantityOffer) -> None:
        if offer.maximum <= 0:
            ctx.fail(self.none_left)
            return
        ctx.state.update(offer=offer, count=offer.maximum)
        self._show(ctx)

    def _show(self, ctx: StepContext) -> None:
        offer: QuantityOffer = ctx.state["offer"]
        count = ctx.state["count"]
        ctx.show("quantity", title=self.title, unit=self.unit, count=count,
                 maximum=offer.maximum, unit_value=offer.unit_value,
                 currency=offer.currency, total=count * offer.unit_value, **offer.details)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        offer: QuantityOffer | None = ctx.state.get("offer")
        if offer is None:
            return
        if action == "more":
            ctx.state["count"] = min(offer.maximum, ctx.state["count"] + 1)
        elif action == "fewer":
            ctx.state["count"] = max(1, ctx.state["count"] - 1)
        elif action == "confirm":
            ctx.session.data[self.result_key] = ctx.state["count"]
            ctx.next()
            return
        self._show(ctx)
