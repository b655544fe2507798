"""Send the citizen's request to the department's backend, exactly once in effect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.api.errors import GatewayRejected
from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.contract import Step, StepContext
from kiosk.services.errors import message_for
from kiosk.services.steps.otp import TOKEN_KEY
from kiosk.services.steps.pay import PAYMENT_KEY

log = logging.getLogger(__name__)

Call = Callable[[StepContext, str], Any]
FormOf = Callable[[StepContext], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Submit(Step):
    id: str = "submit"
    # (ctx, idempotency key) -> result; runs off the UI thread. The key is made
    # once per session and step, so a retry after an error reuses it. Default:
    # the gateway's uniform submit, with the form ``form`` builds.
    call: Call | None = None
    form: FormOf | None = None
    result_key: str = "submission"
    message: str = "wait.submitting"

    def enter(self, ctx: StepContext) -> None:
        if self.result_key in ctx.session.data:  # already done: a retry of a later step
            ctx.next()
            return
        key = ctx.session.idempotency_key(self.id)
        call = self.call or self._submit
        ctx.show("progress", message=self.message)
        ctx.run(lambda: call(ctx, key), lambda result: self._done(ctx, result),
                wait=self.id, on_error=lambda e: self._failed(ctx, e))

    def _submit(self, ctx: StepContext, key: str) -> Any:
        card = card_of(ctx)
        form = self.form(ctx) if self.form else {}
        return ctx.gateway.submit(service_id(ctx), card.card_number, card.id_number, form,
                                  idempotency_key=key,
                                  payment_id=ctx.session.data.get(PAYMENT_KEY),
                                  otp_token=ctx.session.data.get(TOKEN_KEY))

    def _done(self, ctx: StepContext, result: Any) -> None:
        ctx.session.data[self.result_key] = result
        ctx.next()

    def _failed(self, ctx: StepContext, error: BaseException) -> None:
        payment_id = ctx.session.data.get(PAYMENT_KEY)
        if not isinstance(error, GatewayRejected) or not payment_id:
            ctx.fail(message_for(error), retry=True)
            return
        # Refused for good after the citizen paid: give the money back, then say so.
        key = ctx.session.idempotency_key(f"{self.id}.refund")
        code = error.code
        ctx.show("progress", message="pay.refunding")
        ctx.run(lambda: ctx.gateway.refund_payment(payment_id, f"submit refused: {code}",
                                                   idempotency_key=key),
                lambda _refund: self._refunded(ctx, error), wait="refund")

    def _refunded(self, ctx: StepContext, error: BaseException) -> None:
        log.info("payment refunded after a refused submission (%s)",
                 getattr(error, "code", "?"))
        ctx.session.data.pop(PAYMENT_KEY, None)
        ctx.fail("pay.refunded")
