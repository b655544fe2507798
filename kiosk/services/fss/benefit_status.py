"""福利發放狀況 · Situação do pagamento de prestações · Benefit payment status."""

from __future__ import annotations

from typing import Any

from kiosk.services.common import money
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import status
from kiosk.services.contract import StepContext


def _table(ctx: StepContext) -> tuple[list[str], list[list[Any]]] | None:
    payments = records(ctx).get("payments", [])
    if not payments:
        return None
    return (["status.benefit", "status.period", "status.amount", "status.state"],
            [[p["benefit"], str(p["period"]), money.text(money.amount(p["amount"])),
              p["status"]] for p in payments])


SERVICE = status(
    "fss.benefit-status", title="status.benefits_title", table=_table,
    rows=lambda ctx: [("status.count", str(len(records(ctx).get("payments", []))))],
)
