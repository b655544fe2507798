"""津貼申請進度 · Andamento do pedido de subsídio · Allowance application status."""

from __future__ import annotations

from typing import Any

from kiosk.services.common.citizen import records
from kiosk.services.common.flows import status
from kiosk.services.contract import StepContext


def _table(ctx: StepContext) -> tuple[list[str], list[list[Any]]] | None:
    found = records(ctx).get("applications", [])
    if not found:
        return None
    return (["status.allowance", "progress.reference", "progress.submitted_on", "status.state"],
            [[a["allowance"], a["reference"], str(a["submitted_on"]), a["status"]]
             for a in found])


SERVICE = status(
    "ias.allowance-status", title="status.allowances_title", table=_table,
    rows=lambda ctx: [("status.count", str(len(records(ctx).get("applications", []))))],
)
