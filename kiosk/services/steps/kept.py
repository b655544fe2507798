"""Offer a citizen the printouts kept for them after a printer failed.

Placed after the citizen has proved who they are (card and face): a kept
printout holds their data and, for vouchers, things of value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.devices.printer import Printer
from kiosk.offline.kept_prints import KeptPrint
from kiosk.services.contract import Step, StepContext, device_of
from kiosk.services.errors import message_for
from kiosk.services.steps.printing import PrintFailed, owner_of, print_kept


@dataclass(frozen=True, kw_only=True)
class CollectKept(Step):
    id: str = "kept"
    # The final screen's message once the kept printouts are out.
    done: str = "done.take_printout"

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.card is None:
            ctx.next()  # nobody to match them to
            return
        service_id = ctx.session.service_id or ""
        ctx.run(lambda: ctx.kept_prints.waiting_for(owner_of(ctx), service_id),
                lambda waiting: self._found(ctx, waiting), wait=self.id)

    def _found(self, ctx: StepContext, waiting: list[KeptPrint]) -> None:
        if not waiting:
            ctx.next()
            return
        ctx.state["waiting"] = [k.reference for k in waiting]
        ctx.show("kept", references=ctx.state["waiting"], pages=sum(k.pages for k in waiting))

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        references: list[str] | None = ctx.state.get("waiting")
        if references is None:
            return
        if action == "skip":
            ctx.next()
        elif action == "print_kept":
            printer = device_of(ctx, "printer", Printer)
            ctx.show("progress", message="wait.printing")

            def work() -> int:
                for reference in references:
                    print_kept(printer, ctx.kept_prints, reference, "citizen")
                return len(references)

            ctx.run(work, lambda _n: self._printed(ctx), wait=self.id,
                    on_error=lambda e: ctx.fail(
                        message_for(e.cause if isinstance(e, PrintFailed) else e), retry=True))

    def _printed(self, ctx: StepContext) -> None:
        ctx.complete()
        ctx.show("done", message=self.done)
