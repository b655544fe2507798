"""列印供款紀錄 · Impressão do registo de contribuições · Print contribution record.

An A4 certificate of the citizen's contributions, with a verification code a
third party (a bank, an employer) can check.
"""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import StepContext
from kiosk.services.steps import CollectKept, Finish, Lookup, Print, Review, Submit


def _lines(ctx: StepContext) -> list[tuple[str, str]]:
    found = records(ctx)
    return [("document.label.social_security_number", str(found["social_security_number"])),
            ("document.label.period", f"{found['period_from']} – {found['period_to']}"),
            ("document.label.months_contributed", str(found["months"])),
            ("document.label.last_contribution", str(found["last_contribution"]))]


SERVICE = service("fss.contribution-record", "C F R", "online", (
    *identify(face=True),
    CollectKept(done="done.take_certificate"),
    Lookup(),
    Review(rows=_lines, note="fss.record.review_note"),
    Submit(form=lambda ctx: {}),
    Print(id="print", render=printouts.certificate("service.fss.contribution-record", _lines)),
    Finish(message="done.take_certificate"),
))
