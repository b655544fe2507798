"""現金分享發放狀況 · Plano de Comparticipação Pecuniária · Wealth partaking scheme status."""

from __future__ import annotations

from typing import Any

from kiosk.services.common import money
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import status
from kiosk.services.contract import StepContext


def _rows(ctx: StepContext) -> list[tuple[str, Any]]:
    found = records(ctx)
    rows: list[tuple[str, Any]] = [
        ("status.year", str(found.get("year", ""))),
        ("status.amount", f"{found.get('currency', 'MOP')} "
                          f"{money.text(money.amount(found.get('amount', 0)))}"),
        ("status.state", found.get("status", "")),
    ]
    if found.get("paid_on"):
        rows.append(("status.paid_on", str(found["paid_on"])))
    if found.get("method"):
        rows.append(("status.method", found["method"]))
    return rows


SERVICE = status("dsf.wealth-partaking", title="status.wealth_title", rows=_rows)
