"""Send the citizen's request to the department's backend, exactly once in effect.

A service whose offline policy is ``queue`` completes without the network: when
the department cannot be reached (known beforehand, or found on trying), the
request goes into the terminal's outbox under the same idempotency key, and
the sync worker delivers it when the link is back; the citizen leaves with a
reference and a slip that says it will be delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.api.errors import GatewayRejected, GatewayUnavailable
from kiosk.api.models import Submission
from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.contract import OfflinePolicy, Step, StepContext
from kiosk.services.errors import message_for
from kiosk.services.steps.otp import TOKEN_KEY
from kiosk.services.steps.pay import PAYMENT_KEY

log = logging.getLogger(__name__)
# The status of a submission that waits in the outbox (the gateway's own are
# "completed" and "accepted").
QUEUED = "queued"

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
        payment_id = ctx.session.data.get(PAYMENT_KEY)
        otp_token = ctx.session.data.get(TOKEN_KEY)
        queueable = (ctx.outbox is not None and ctx.service is not None
                     and ctx.service.offline is OfflinePolicy.QUEUE)
        payload = {"service_id": service_id(ctx), "card_number": card.card_number,
                   "id_number": card.id_number, "form": form, "payment_id": payment_id,
                   "otp_token": otp_token}
        if queueable and not ctx.online:  # no point waiting for timeouts first
            return self._enqueue(ctx, key, payload)
        try:
            return ctx.gateway.submit(service_id(ctx), card.card_number, card.id_number, form,
                                      idempotency_key=key, payment_id=payment_id,
                                      otp_token=otp_token)
        except GatewayUnavailable:
            if not queueable:
                raise
            return self._enqueue(ctx, key, payload)

    def _enqueue(self, ctx: StepContext, key: str, payload: dict[str, Any]) -> Submission:
        assert ctx.outbox is not None and ctx.service is not None
        department = ctx.service.department
        # A reference the citizen can quote before the department has given its own.
        reference = f"{department.upper()}-{date.today():%Y%m%d}-Q{key[:6].upper()}"
        ctx.outbox.enqueue(service_id=service_id(ctx), department=department,
                           idempotency_key=key, payload=payload,
                           summary={"service_id": service_id(ctx), "reference": reference})
        log.info("%s queued for delivery (department unreachable)", service_id(ctx))
        return Submission(service_id(ctx), reference, QUEUED, {})

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
