"""選民登記查詢 · Consulta do recenseamento eleitoral · Voter registration status."""

from __future__ import annotations

from typing import Any

from kiosk.i18n import all_languages
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import status
from kiosk.services.contract import StepContext


def _rows(ctx: StepContext) -> list[tuple[str, Any]]:
    found = records(ctx)
    if not found.get("registered"):
        return [("voter.registered", all_languages("voter.no"))]
    return [("voter.registered", all_languages("voter.yes")),
            ("voter.number", str(found.get("voter_number", ""))),
            ("voter.constituency", found.get("constituency", "")),
            ("voter.polling_station", found.get("polling_station", ""))]


SERVICE = status("safp.voter-registration", title="voter.title", rows=_rows)
