"""社會保障基金 Social Security Fund: proof of life, contribution record,
benefit payments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments.base import (
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    verification_code,
)
from kiosk.sandbox.departments.life import beneficiary, proof_of_life

OLD_AGE = T("養老金", "Pensão para idosos", "Old-age pension")
DISABILITY = T("殘疾金", "Pensão de invalidez", "Disability pension")
PAID = T("已發放", "Pago", "Paid")
SCHEDULED = T("待發放", "Pagamento agendado", "Scheduled")

# card: (social security number, first month, last month or None = still paying,
#        monthly contribution of the last years, benefit)
MEMBERS: dict[str, tuple[str, date, date | None, str, dict[str, str] | None]] = {
    "C0000001": ("0123456-7", date(1991, 1, 1), date(2021, 3, 1), "90.00", OLD_AGE),
    "C0000002": ("0876543-2", date(2010, 9, 1), None, "90.00", None),
    "C0000003": ("0345678-9", date(1990, 1, 1), date(2014, 7, 1), "45.00", OLD_AGE),
    "C0000004": ("0654321-0", date(1995, 4, 1), None, "90.00", None),
}
PENSION = "3740.00"


def _months(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def contributions(card: str, today: date) -> dict[str, Any]:
    number, first, last, monthly, _ = MEMBERS[card]
    last = last or _month_start(today, 1)
    years = []
    for year in range(max(first.year, last.year - 4), last.year + 1):
        lo = max(first, date(year, 1, 1))
        hi = min(last, date(year, 12, 1))
        months = _months(lo, hi)
        years.append({"year": year, "months": months,
                      "amount": f"{months * float(monthly):.2f}"})
    return {"social_security_number": number, "period_from": first.isoformat(),
            "period_to": last.isoformat(), "months": _months(first, last),
            "last_contribution": last.isoformat(), "years": years}


def record_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if call.card not in MEMBERS:
        raise ApiError(404, "not_found", "no contribution record for this citizen")
    return contributions(call.card, call.today)


def record_submit(call: Call, form: dict[str, Any]) -> Outcome:
    return Outcome({"verification_code": verification_code(), **record_lookup(call, {})})


def benefit_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"payments": [r.data for r in call.records("fss_payment")]}


SERVICES = (
    proof_of_life("fss.proof-of-life", "fss_beneficiary"),
    Service("fss.contribution-record", record_lookup, record_submit),
    Service("fss.benefit-status", benefit_lookup),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card, (*_, benefit) in MEMBERS.items():
        if benefit is None:
            continue
        yield ("fss_beneficiary", card, f"fss_beneficiary:{card}",
               beneficiary(benefit, today - timedelta(days=300)))
        for back in range(3, -1, -1):
            month = _month_start(today, back)
            paid = back > 0
            yield ("fss_payment", card, f"FSSP-{card}-{month:%Y%m}", {
                "benefit": benefit, "period": f"{month:%Y-%m}", "amount": PENSION,
                "status": "paid" if paid else "scheduled",
                "status_text": PAID if paid else SCHEDULED,
                "paid_on": (month + timedelta(days=9)).isoformat() if paid else None})
    yield ("fss_payment", "C0000002", "FSSP-C0000002-DIS", {
        "benefit": DISABILITY, "period": f"{_month_start(today, 1):%Y-%m}", "amount": "2000.00",
        "status": "scheduled", "status_text": SCHEDULED, "paid_on": None})

