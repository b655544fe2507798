"""Print what the citizen takes away and wait until the printer has finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices.printer import Printer, PrintResult
from kiosk.services.contract import Step, StepContext, device_of

PRINT_TIMEOUT_S = 180.0


@dataclass(frozen=True, kw_only=True)
class Print(Step):
    id: str
    # ctx -> (pdf bytes, job name without personal data); runs off the UI thread.
    render: Callable[[StepContext], tuple[bytes, str]]
    message: str = "wait.printing"

    def enter(self, ctx: StepContext) -> None:
        printer = device_of(ctx, "printer", Printer)
        ctx.show("progress", message=self.message)

        def work() -> PrintResult:
            pdf, job = self.render(ctx)
            return printer.print_pdf(pdf, job).result(timeout=PRINT_TIMEOUT_S)

        ctx.run(work, lambda result: self._printed(ctx, result), wait=self.id)

    def _printed(self, ctx: StepContext, result: PrintResult) -> None:
        ctx.session.data.setdefault("printed", []).append(result)
        ctx.next()
