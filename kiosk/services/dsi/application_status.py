"""申請進度查詢 · Consulta do andamento do pedido · Application progress.

Every open application of the citizen, across all departments, from the
gateway's progress module.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import all_languages, has
from kiosk.services.common.citizen import card_of, plain, records
from kiosk.services.common.flows import status
from kiosk.services.contract import StepContext


def _fetch(ctx: StepContext) -> dict[str, Any]:
    card = card_of(ctx)
    progress = ctx.gateway.application_progress(card.card_number, card.id_number)
    found = progress.get("applications", []) if isinstance(progress, dict) else progress
    return {"applications": [plain(a) for a in found]}


def _department(dept: str) -> dict[str, str] | str:
    return all_languages(f"department.{dept}") if has(f"department.{dept}") else dept


def _table(ctx: StepContext) -> tuple[list[str], list[list[Any]]] | None:
    found = records(ctx).get("applications", [])
    if not found:
        return None
    return (["progress.department", "progress.reference", "progress.submitted_on",
             "progress.status"],
            [[_department(str(a["department"])), a["reference"], str(a["submitted_on"]),
              a["status_text"]] for a in found])


SERVICE = status(
    "dsi.application-status", title="progress.title", fetch=_fetch, table=_table,
    rows=lambda ctx: [("progress.count", str(len(records(ctx).get("applications", []))))],
)
