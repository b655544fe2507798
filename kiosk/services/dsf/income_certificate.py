"""職業稅收益證明 · Certidão de rendimentos · Professional tax income certificate.

For a chosen year; printed on A4 with a verification code the bank or
landlord who asks for it can check.
"""

from __future__ import annotations

from kiosk.services.common import money, printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import StepContext
from kiosk.services.steps import Choose, CollectKept, Finish, Lookup, Option, Print, Submit


def _years(ctx: StepContext) -> list[Option]:
    return [Option(str(year), str(year)) for year in records(ctx).get("years", [])]


def _lines(ctx: StepContext) -> list[tuple[str, str]]:
    done = printouts.result(ctx)
    return [("document.label.tax_year", str(done["year"])),
            ("document.label.income", f"MOP {money.text(money.amount(done['income']))}"),
            ("document.label.tax_paid", f"MOP {money.text(money.amount(done['tax_paid']))}"),
            ("document.label.employers", str(done.get("employers", "")))]


SERVICE = service("dsf.income-certificate", "C F R", "online", (
    *identify(face=True),
    CollectKept(done="done.take_certificate"),
    Lookup(),
    Choose(id="year", title="dsf.choose_year", options=_years, result_key="year"),
    Submit(form=lambda ctx: {"year": int(ctx.session.data["year"])}),
    Print(id="print", render=printouts.certificate("service.dsf.income-certificate", _lines)),
    Finish(message="done.take_certificate"),
))
