"""Ask the citizen's department what it holds for them (balance, bills, fines, loans ...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.services.common.citizen import card_of, service_id
from kiosk.services.contract import Step, StepContext

Params = Callable[[StepContext], dict[str, Any]]
# ctx -> records, for a lookup that is not the uniform service lookup (runs off the UI thread).
Fetch = Callable[[StepContext], dict[str, Any]]
# records -> a text key to stop with ("nothing to pay"), or None to go on.
Empty = Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True, kw_only=True)
class Lookup(Step):
    id: str = "lookup"
    result_key: str = "records"
    params: Params | None = None
    empty: Empty | None = None
    fetch: Fetch | None = None
    message: str = "wait.loading"

    def enter(self, ctx: StepContext) -> None:
        card = card_of(ctx)
        params = self.params(ctx) if self.params else {}
        fetch = self.fetch

        def work() -> dict[str, Any]:
            if fetch is not None:
                return fetch(ctx)
            return ctx.gateway.lookup(service_id(ctx), card.card_number, card.id_number,
                                      params).records

        ctx.show("progress", message=self.message)
        ctx.run(work, lambda records: self._found(ctx, records), wait=self.id)

    def _found(self, ctx: StepContext, records: dict[str, Any]) -> None:
        ctx.session.data[self.result_key] = records
        reason = self.empty(records) if self.empty else None
        if reason:
            ctx.fail(reason)
            return
        ctx.next()
