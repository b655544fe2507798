"""Second factor: a one-time code sent to the citizen's registered phone.

The code goes by SMS from the gateway; the citizen types it on the kiosk's pad.
A wrong code may be typed again (the gateway counts); an expired or exhausted
one is replaced by sending a new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.api.errors import GatewayRejected
from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.contract import Step, StepContext
from kiosk.services.errors import message_for

TOKEN_KEY = "otp_token"


@dataclass(frozen=True, kw_only=True)
class SecondFactor(Step):
    id: str = "otp"

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.data.get(TOKEN_KEY):
            ctx.next()  # proved already in this session (a retry of a later step)
            return
        self._send(ctx)

    def _send(self, ctx: StepContext) -> None:
        card = card_of(ctx)
        sends = ctx.state["sends"] = ctx.state.get("sends", 0) + 1
        # One key per code sent: a retried request sends one SMS, a "resend" another.
        key = ctx.session.idempotency_key(f"{self.id}.send.{sends}")
        ctx.show("progress", message="otp.sending")
        ctx.run(lambda: ctx.gateway.send_otp(card.card_number, card.id_number, service_id(ctx),
                                             idempotency_key=key),
                lambda challenge: self._sent(ctx, challenge), wait=self.id)

    def _sent(self, ctx: StepContext, challenge: Any) -> None:
        ctx.state["challenge"] = challenge
        self._show(ctx)

    def _show(self, ctx: StepContext, error: str | None = None,
              attempts_left: int | None = None) -> None:
        challenge = ctx.state["challenge"]
        data: dict[str, Any] = {"phone_masked": challenge.phone_masked,
                                "length": challenge.length}
        if error:
            data["error"] = error
        if attempts_left is not None:
            data["attempts_left"] = attempts_left
        ctx.show("otp", **data)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        challenge = ctx.state.get("challenge")
        if challenge is None or ctx.state.get("checking"):
            return
        if action == "resend":
            self._send(ctx)
        elif action == "submit_code" and isinstance(value, str) and value.isdigit():
            ctx.state["checking"] = True
            ctx.run(lambda: ctx.gateway.verify_otp(challenge.challenge_id, value),
                    lambda verified: self._verified(ctx, verified), wait=self.id,
                    on_error=lambda e: self._refused(ctx, e))

    def _verified(self, ctx: StepContext, verified: Any) -> None:
        ctx.state["checking"] = False
        ctx.session.data[TOKEN_KEY] = getattr(verified, "otp_token", verified)
        ctx.next()

    def _refused(self, ctx: StepContext, error: BaseException) -> None:
        ctx.state["checking"] = False
        if isinstance(error, GatewayRejected) and error.code == "code_wrong":
            self._show(ctx, "otp.wrong", getattr(error, "attempts_left", None))
        elif isinstance(error, GatewayRejected) and error.code == "code_expired":
            self._show(ctx, "otp.expired")
        else:
            ctx.fail(message_for(error), retry=True)
