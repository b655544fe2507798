"""POST /v1/profile: who the citizen is and how to reach them."""

from __future__ import annotations

from kiosk.sandbox import db
from kiosk.sandbox.core import Context, Request, Response, citizen_of, json_body
from kiosk.sandbox.departments.base import mask_phone
from kiosk.sandbox.departments.dsi import contact


def profile(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        citizen = citizen_of(conn, body["citizen"])
        data = contact(conn, citizen.card_number)
    return Response(200, {
        "name_zh": citizen.name_zh, "name_latin": citizen.name_latin,
        "phone_masked": mask_phone(data["phone"]) if data["phone"] else None,
        "email": data["email"], "address": data["address"], "has_phone": bool(data["phone"]),
    })
