"""The last screen: what to take away. The session ends when the card is taken."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True, kw_only=True)
class Finish(Step):
    id: str = "finish"
    message: str = "done.take_card"  # text key
    # A reference the citizen may want to note (shown large), e.g. when no slip printed.
    reference: Callable[[StepContext], str | None] | None = None
    # Shown instead when the request waits in the outbox for the network.
    queued_message: str = "offline.queued"

    def enter(self, ctx: StepContext) -> None:
        ctx.complete()
        submission = ctx.session.data.get("submission")
        queued = getattr(submission, "status", None) == "queued"
        data: dict[str, Any] = {"message": self.queued_message if queued else self.message}
        reference = self.reference(ctx) if self.reference else None
        if reference:
            data["reference"] = reference
        ctx.show("done", **data)
