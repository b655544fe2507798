"""財政局 Financial Services Bureau: income certificates, tax bills, the
wealth partaking scheme."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments import payables
from kiosk.sandbox.departments.base import (
    CURRENCY,
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    option,
    replenish,
    verification_code,
)

PROPERTY_TAX = T("房屋稅", "Contribuição predial", "Property tax")
PROFESSIONAL_TAX = T("職業稅", "Imposto profissional", "Professional tax")
STAMP_DUTY = T("印花稅", "Imposto do selo", "Stamp duty")
CERT_OPTIONS = (
    {"id": "zh-Hant", "fee": "0.00", "label": T("中文版", "Em chinês", "In Chinese")},
    {"id": "pt", "fee": "0.00", "label": T("葡文版", "Em português", "In Portuguese")},
)
EMPLOYERS = {
    "C0000001": ((T("澳門大豐顧問有限公司", "Tai Fung Consultoria, Lda.",
                    "Tai Fung Consulting Ltd."), 96000),),
    "C0000002": ((T("澳門旅遊塔會展娛樂中心", "Centro de Convenções e Entretenimento da Torre",
                    "Macau Tower Convention & Entertainment Centre"), 312000),
                 (T("新濠天地", "City of Dreams", "City of Dreams"), 48000)),
    "C0000004": ((T("澳門電力股份有限公司", "CEM", "CEM"), 420000),),
}
# card: (tax, amount, days until due); the evergreen card gets these again once paid.
BILLS = {
    "C0000001": ((PROPERTY_TAX, "1250.00", 30), (PROFESSIONAL_TAX, "860.00", 45)),
    "C0000002": ((PROFESSIONAL_TAX, "3120.00", 20),),
    "C0000003": ((PROPERTY_TAX, "480.00", 60),),
}


def _income(card: str, year: int) -> dict[str, Any]:
    employers = EMPLOYERS[card]
    # Plausible and varying by year: 3 % a year of pay rises.
    factor = 1.03 ** (year - 2020)
    rows = [{"name": name, "income": f"{pay * factor:.2f}"} for name, pay in employers]
    income = sum(float(r["income"]) for r in rows)
    taxable = max(income - 144000, 0)
    return {"year": year, "income": f"{income:.2f}", "tax_paid": f"{taxable * 0.07 * 0.7:.2f}",
            "employers": rows}


def _years(call: Call) -> list[int]:
    if call.card not in EMPLOYERS:
        return []
    return [call.today.year - n for n in (1, 2, 3)]


def income_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"years": _years(call), "options": list(CERT_OPTIONS), "currency": CURRENCY}


def income_submit(call: Call, form: dict[str, Any]) -> Outcome:
    if form["year"] not in _years(call):
        raise ApiError(404, "not_found", "no professional tax assessment for this year")
    chosen = option(CERT_OPTIONS, form.get("option"))
    return Outcome({"verification_code": verification_code(), "language": chosen["id"],
                    **_income(call.card, form["year"])})


def _bill(tax: dict[str, str], amount: str, year: int, due: date) -> dict[str, Any]:
    bill_id = store.new_id(f"DSF{year}")
    return {"bill_id": bill_id, "tax": tax, "year": year, "amount": amount,
            "due_on": due.isoformat()}


def _fresh_bills(call: Call) -> Iterator[tuple[str, dict[str, Any]]]:
    for tax, amount, days in BILLS[call.card]:
        bill = _bill(tax, amount, call.today.year - 1, call.today + timedelta(days=days))
        yield bill["bill_id"], bill


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("bill_id", "tax", "year", "amount", "due_on")}


def tax_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    replenish(call, "tax_bill", lambda: _fresh_bills(call), payables.is_open)
    return {"bills": [_public(r.data) for r in payables.open_items(call, "tax_bill")],
            "currency": CURRENCY}


def tax_submit(call: Call, form: dict[str, Any]) -> Outcome:
    bills = [call.record("tax_bill", bill_id) for bill_id in form["bill_ids"]]
    due = payables.pay(call, "tax_bill", bills)
    return Outcome({"receipt_number": call.reference, "paid": form["bill_ids"],
                    "amount": f"{due:.2f}", "currency": CURRENCY}, due=due)


def wealth_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    year = call.today.year
    paid_on = date(year, 7, 1)
    base = {"year": year, "amount": "10000.00", "currency": CURRENCY}
    if call.today >= paid_on:
        return {**base, "status": "paid", "status_text": T("已發放", "Pago", "Paid"),
                "paid_on": paid_on.isoformat(),
                "method": T("銀行轉帳", "Transferência bancária", "Bank transfer")
                if call.card != "C0000003" else T("支票", "Cheque", "Cheque")}
    return {**base, "status": "scheduled",
            "status_text": T("將於七月發放", "A pagar em julho", "To be paid in July"),
            "paid_on": None, "method": T("銀行轉帳", "Transferência bancária", "Bank transfer")}


SERVICES = (
    Service("dsf.income-certificate", income_lookup, income_submit, options=CERT_OPTIONS),
    Service("dsf.tax-payment", tax_lookup, tax_submit),
    Service("dsf.wealth-partaking", wealth_lookup),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card, bills in BILLS.items():
        for n, (tax, amount, days) in enumerate(bills, 1):
            bill_id = f"DSF{today.year - 1}{card[-2:]}{n:04d}"
            yield ("tax_bill", card, bill_id, {
                "bill_id": bill_id, "tax": tax, "year": today.year - 1, "amount": amount,
                "due_on": (today + timedelta(days=days)).isoformat()})
