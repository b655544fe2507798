"""POST /v1/applications/progress: every open application of a citizen,
whichever department it is with."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kiosk.sandbox import db, store
from kiosk.sandbox.core import Context, Request, Response, citizen_of, json_body

FIELDS = ("department", "service_id", "reference", "submitted_on", "title", "status",
          "status_text")


def applications(conn: Database, card_number: str) -> list[dict[str, Any]]:
    return [{k: r.data[k] for k in FIELDS}
            for r in store.records(conn, "application", card_number)]


def progress(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        citizen = citizen_of(conn, body["citizen"])
        return Response(200, {"applications": applications(conn, citizen.card_number)})
