"""Show the citizen what they came to see (a status, a statement, a check's verdict).

The service is done once this shows; "Print" (when offered) prints a copy
through the same kept-printout safety as every other printout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.devices.printer import Printer
from kiosk.services.common.texts import Text
from kiosk.services.contract import Step, StepContext, device_of
from kiosk.services.errors import message_for
from kiosk.services.steps.printing import PrintFailed, print_or_keep, printer_usable

Rows = Callable[[StepContext], Sequence[tuple[Text, Text]]]
# ctx -> (column labels, rows of values), or None for no table.
Table = Callable[[StepContext], tuple[Sequence[Text], Sequence[Sequence[Text]]] | None]
Render = Callable[[StepContext, str], tuple[bytes, str]]
# Rows of a table the screen shows; the rest are counted ("and N more"). A
# gateway's list can be long (a soak's citizen had hundreds of applications,
# each drawn at every visit); a printed copy, if offered, has them all.
MAX_TABLE_ROWS = 50


@dataclass(frozen=True, kw_only=True)
class ShowResult(Step):
    id: str = "result"
    title: str  # text key
    rows: Rows
    table: Table | None = None
    # ctx -> "ok" | "warning" | "error" | "info"
    tone: Callable[[StepContext], str] = lambda ctx: "info"
    note: Callable[[StepContext], str | None] = lambda ctx: None
    # An optional printed copy; None: nothing to print.
    render: Render | None = None

    def enter(self, ctx: StepContext) -> None:
        ctx.complete()
        self._show(ctx)

    def _show(self, ctx: StepContext, printed: bool = False) -> None:
        data: dict[str, Any] = {
            "title": self.title, "tone": self.tone(ctx),
            "rows": [{"label": label, "value": value} for label, value in self.rows(ctx)],
            "can_print": self.render is not None and not printed and printer_usable(ctx),
        }
        table = self.table(ctx) if self.table else None
        if table is not None:
            columns, rows = table
            data["table"] = {"columns": list(columns),
                             "rows": [list(r) for r in rows[:MAX_TABLE_ROWS]]}
            if len(rows) > MAX_TABLE_ROWS:
                data["table"]["more"] = len(rows) - MAX_TABLE_ROWS
        note = "result.printed" if printed else self.note(ctx)
        if note:
            data["note"] = note
        ctx.show("result", **data)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        if action != "print" or self.render is None or ctx.state.get("printing"):
            return
        printer = device_of(ctx, "printer", Printer)
        render = self.render
        ctx.state["printing"] = True
        ctx.show("progress", message="wait.printing")

        def work() -> None:
            print_or_keep(ctx, printer, *render(ctx, printer.media))

        def failed(error: BaseException) -> None:
            ctx.state["printing"] = False
            cause = error.cause if isinstance(error, PrintFailed) else error
            reference = error.reference if isinstance(error, PrintFailed) else None
            ctx.show("error", message=message_for(cause), reference=reference)

        def printed(_: None) -> None:
            ctx.state["printing"] = False
            self._show(ctx, printed=True)

        ctx.run(work, printed, wait="print", on_error=failed)
