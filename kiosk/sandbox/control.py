"""The sandbox's test control under /_sandbox/: no authentication (the
sandbox listens on loopback only), never part of the real gateway.

What tests and the demo's simulated phone use: the journal of accepted
state-changing calls, the SMS outbox, the citizen's wallet, and faults.
"""

from __future__ import annotations

from kiosk.sandbox import db
from kiosk.sandbox.common import otp, payments
from kiosk.sandbox.core import ApiError, Context, Request, Response, json_body
from kiosk.sandbox.departments import DEPARTMENTS

# Holds a reply longer than any client's read timeout, unless told otherwise;
# released at once when the faults are cleared or the server stops.
TIMEOUT_HOLD_S = 120.0


def transactions(ctx: Context, req: Request) -> Response:
    return Response(200, ctx.calls.entries())


def heartbeats(ctx: Context, req: Request) -> Response:
    """The last heartbeat of each terminal, by terminal id."""
    return Response(200, ctx.heartbeats.entries())


def sms(ctx: Context, req: Request) -> Response:
    with db.connect(ctx.db_path) as conn:
        return Response(200, otp.outbox(conn))


def pay(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    return Response(200, payments.pay(ctx, body["payment_id"]))


def add_fault(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    mode = body["mode"]
    department = body.get("department")
    path = body.get("path")
    if department is not None and department not in DEPARTMENTS:
        raise ApiError(400, "invalid_request", "$.department: not a department")
    if mode == "down" and department is None and path is None:
        raise ApiError(400, "invalid_request", "down needs a department or a path")
    if mode == "error":
        status = body.get("status", 503)
        if not 500 <= status <= 599:
            raise ApiError(400, "invalid_request", "$.status: an error fault is a 5xx")
    else:
        status = 200
    delay = body.get("delay_s", TIMEOUT_HOLD_S if mode == "timeout" else 1.0 if mode == "slow"
                     else 0.0)
    raw = body.get("body")
    ctx.faults.add(
        mode=mode, path_prefix=path, department=department, status=status,
        times=body.get("times"), delay_s=float(delay) if mode in ("slow", "timeout") else 0.0,
        body=raw.encode() if isinstance(raw, str) else None,
        retry_after=body.get("retry_after"), after_handler=body.get("after_handler", False))
    return Response(201, {"pending": ctx.faults.pending})


def clear_faults(ctx: Context, req: Request) -> Response:
    ctx.faults.clear()
    return Response(200, {"pending": 0})
