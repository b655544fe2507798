"""Payment: the citizen pays the amount due with a mobile wallet, by scanning a QR.

The gateway creates the payment (one idempotency key per attempt, so a retried
request never creates two) and confirms it; the kiosk polls the status off the
UI thread until it is paid, expires, or the citizen gives up. Nothing is
charged on the kiosk itself. If the submission that follows is refused, the
Submit step refunds the payment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kiosk.services.common import money
from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.common.texts import Text
from kiosk.services.contract import Step, StepContext

PAYMENT_KEY = "payment_id"
PAID_KEY = "paid_amount"
POLL_S = 1.0

# ctx -> the items to pay (label shown to the citizen, amount); their sum is due.
Due = Callable[[StepContext], Sequence[tuple[Text, Decimal]]]


@dataclass(frozen=True, kw_only=True)
class Pay(Step):
    id: str = "pay"
    due: Due
    currency: str = "MOP"

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.data.get(PAYMENT_KEY):
            ctx.next()  # paid already in this session
            return
        items = list(self.due(ctx))
        total = sum((amount for _, amount in items), Decimal(0))
        if total <= 0:
            ctx.next()  # nothing to pay
            return
        card = card_of(ctx)
        attempt = ctx.session.data.get("pay_attempt", 1)
        key = ctx.session.idempotency_key(f"{self.id}.{attempt}")
        wire_items = [{"label": f"item-{n + 1}", "amount": str(a)} for n, (_, a) in
                      enumerate(items)]
        ctx.show("progress", message="pay.preparing")
        ctx.run(lambda: ctx.gateway.create_payment(card.card_number, card.id_number,
                                                   service_id(ctx), total, self.currency,
                                                   wire_items, idempotency_key=key),
                lambda payment: self._created(ctx, payment, items), wait=self.id)

    def _created(self, ctx: StepContext, payment: Any,
                 items: list[tuple[Text, Decimal]]) -> None:
        stop = ctx.state["stop"] = threading.Event()
        ctx.show("payment", payment_id=payment.payment_id, amount=money.text(payment.amount),
                 currency=payment.currency, qr_payload=payment.qr_payload, status="pending",
                 expires_in_s=payment.expires_in_s,
                 items=[{"label": label, "amount": money.text(a)} for label, a in items])
        gateway = ctx.gateway

        def wait_for_payment() -> str:
            while True:
                status = gateway.payment_status(payment.payment_id).status
                if status != "pending" or stop.wait(POLL_S):
                    return status

        ctx.run(wait_for_payment, lambda status: self._settled(ctx, payment, status),
                wait="pay_wallet", citizen_acts=True)

    def _settled(self, ctx: StepContext, payment: Any, status: str) -> None:
        if status == "paid":
            ctx.session.data[PAYMENT_KEY] = payment.payment_id
            ctx.session.data[PAID_KEY] = payment.amount
            ctx.next()
        elif status == "pending":  # the citizen cancelled
            ctx.fail("pay.cancelled", retry=True)
        else:  # expired: a retry makes a new payment
            ctx.session.data["pay_attempt"] = ctx.session.data.get("pay_attempt", 1) + 1
            ctx.fail("pay.expired", retry=True)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        if action == "cancel_payment" and "stop" in ctx.state:
            ctx.state["stop"].set()

    def leave(self, ctx: StepContext) -> None:
        stop = ctx.state.get("stop")
        if stop is not None:
            stop.set()  # no polling for a session that moved on
