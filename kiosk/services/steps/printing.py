"""Print what the citizen takes away; when the printer fails, keep the printout.

A printout that fails is kept, sealed, under a short reference (``KeptPrints``)
before the citizen hears of the failure, so nothing issued is lost whatever
happens next: a retry prints the kept document (the same voucher serials, not a
new issue), "print later" ends the session with the reference on screen, and a
citizen who walks away can still collect it (``CollectKept``) or have a
technician reprint it.
"""

from __future__ import annotations

import concurrent.futures
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import DeviceError
from kiosk.devices.printer import Printer, PrintResult, count_pdf_pages
from kiosk.offline.kept_prints import KeptPrints
from kiosk.services.contract import Step, StepContext, device_of
from kiosk.services.errors import message_for

PRINT_TIMEOUT_S = 180.0
log = logging.getLogger(__name__)


class PrintFailed(Exception):
    """The printer failed; the printout is kept under ``reference``."""

    def __init__(self, cause: DeviceError, reference: str) -> None:
        super().__init__(f"{cause.code} (kept as {reference})")
        self.cause = cause
        self.reference = reference


def owner_of(ctx: StepContext) -> str:
    """Whose printout this is, for collecting it later: the card holder's ID number
    (stored only as a keyed tag), or this session alone when there is no card."""
    card = ctx.session.card
    return f"id:{card.id_number}" if card is not None else f"session:{ctx.session.session_id}"


def print_now(printer: Printer, pdf: bytes, job_name: str) -> PrintResult:
    """Print and wait for the end; a printer that never answers is offline."""
    try:
        return printer.print_pdf(pdf, job_name).result(timeout=PRINT_TIMEOUT_S)
    except concurrent.futures.TimeoutError:
        raise DeviceError("offline", f"no end of job after {PRINT_TIMEOUT_S:.0f} s") from None


def print_kept(printer: Printer, kept: KeptPrints, reference: str, by: str) -> PrintResult:
    """Print a kept printout; on success its document is erased, on failure counted."""
    record = kept.get(reference)
    try:
        result = print_now(printer, kept.document(reference), record.job_name)
    except DeviceError as e:
        kept.failed_again(reference, e.code)
        raise PrintFailed(e, reference) from e
    kept.printed(reference, by)
    return result


def print_or_keep(ctx: StepContext, printer: Printer, pdf: bytes, job: str) -> PrintResult:
    """Print ``pdf``; if the printer fails, keep it first (sealed, under a new
    reference) and raise ``PrintFailed`` with that reference."""
    try:
        return print_now(printer, pdf, job)
    except DeviceError as e:
        record = ctx.kept_prints.keep(
            pdf, service_id=ctx.session.service_id or "", owner=owner_of(ctx),
            job_name=job, pages=count_pdf_pages(pdf), error=e.code)
        raise PrintFailed(e, record.reference) from e


def printer_usable(ctx: StepContext) -> bool:
    """Is there a printer that can print right now?"""
    return "printer" in ctx.devices and ctx.devices["printer"].status.usable


@dataclass(frozen=True, kw_only=True)
class Print(Step):
    id: str
    # (ctx, the printer's media: "a4", "roll80" ...) -> (pdf bytes, job name without
    # personal data); runs off the UI thread.
    render: Callable[[StepContext, str], tuple[bytes, str]]
    message: str = "wait.printing"
    # Shown when the citizen chooses to print later (with the reference).
    kept_message: str = "print.kept"
    # A printout that is a courtesy (a slip for a service that works without a
    # printer): with the printer down, the service goes on without it.
    optional: bool = False

    def _kept_key(self) -> str:
        return f"kept.{self.id}"

    def enter(self, ctx: StepContext) -> None:
        if self.optional and not printer_usable(ctx):
            ctx.next()
            return
        printer = device_of(ctx, "printer", Printer)
        ctx.show("progress", message=self.message)
        kept_ref: str | None = ctx.session.data.get(self._kept_key())

        def work() -> PrintResult:
            if kept_ref is not None:  # a retry: the very document that failed
                return print_kept(printer, ctx.kept_prints, kept_ref, "citizen")
            return print_or_keep(ctx, printer, *self.render(ctx, printer.media))

        ctx.run(work, lambda result: self._printed(ctx, result), wait=self.id,
                on_error=lambda e: self._failed(ctx, e))

    def _printed(self, ctx: StepContext, result: PrintResult) -> None:
        ctx.session.data.pop(self._kept_key(), None)
        ctx.session.data.setdefault("printed", []).append(result)
        ctx.next()

    def _failed(self, ctx: StepContext, error: BaseException) -> None:
        if not isinstance(error, PrintFailed):
            if not isinstance(error, DeviceError):
                # A rendering bug: worth where it happened, but not its message,
                # which may quote what was being printed (a name).
                log.error("print %s failed: %s at\n%s", self.id, type(error).__name__,
                          "".join(traceback.format_tb(error.__traceback__)))
            ctx.fail(message_for(error), retry=True)
            return
        ctx.session.data[self._kept_key()] = error.reference
        # The step stays current, so "print later" reaches it; "retry" re-enters it.
        ctx.show("error", message=message_for(error.cause), retry=True, later=True,
                 reference=error.reference)

    def on_action(self, ctx: StepContext, action: str, value: Any = None) -> None:
        reference = ctx.session.data.get(self._kept_key())
        if action == "print_later" and reference is not None:
            ctx.complete()
            ctx.show("done", message=self.kept_message, reference=reference)
