"""POST /v1/departments/status: which departments answer right now."""

from __future__ import annotations

from kiosk.sandbox.core import Context, Request, Response, json_body
from kiosk.sandbox.departments import DEPARTMENTS


def departments_status(ctx: Context, req: Request) -> Response:
    json_body(req)
    return Response(200, {"departments": {
        d: "down" if ctx.faults.department_down(d) else "up" for d in DEPARTMENTS}})
