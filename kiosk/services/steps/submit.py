"""Send the citizen's request to the department's backend, exactly once in effect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True, kw_only=True)
class Submit(Step):
    id: str
    # (ctx, idempotency key) -> result; runs off the UI thread. The key is made
    # once per session and step, so a retry after an error reuses it.
    call: Callable[[StepContext, str], Any]
    result_key: str
    message: str = "wait.submitting"

    def enter(self, ctx: StepContext) -> None:
        if self.result_key in ctx.session.data:  # already done: a retry of a later step
            ctx.next()
            return
        key = ctx.session.idempotency_key(self.id)
        ctx.show("progress", message=self.message)
        ctx.run(lambda: self.call(ctx, key), lambda result: self._done(ctx, result),
                wait=self.id)

    def _done(self, ctx: StepContext, result: Any) -> None:
        ctx.session.data[self.result_key] = result
        ctx.next()
