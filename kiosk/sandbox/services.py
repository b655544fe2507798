"""POST /v1/services/lookup and /v1/services/submit: one pair of calls for
every department's services, dispatched to the department's module.

Submit enforces the platform's rules before the department sees anything
stick: a second factor where the service needs one, a paid payment of exactly
the amount due where there is a fee (used once), and idempotency on the key.
"""

from __future__ import annotations

import secrets
from typing import Any

from kiosk.sandbox import db, store
from kiosk.sandbox.common import otp, payments
from kiosk.sandbox.core import (
    ApiError,
    Context,
    Request,
    Response,
    citizen_of,
    idempotency_key,
    json_body,
)
from kiosk.sandbox.departments import SERVICES, department_of
from kiosk.sandbox.departments.base import Call, Service


def _service(ctx: Context, service_id: str) -> Service:
    svc = SERVICES.get(service_id)
    if svc is None:  # the schema knows every id; this is belt and braces
        raise ApiError(404, "not_found", "no such service")
    if ctx.faults.department_down(department_of(service_id)):
        raise department_unavailable()
    return svc


def department_unavailable() -> ApiError:
    return ApiError(503, "department_unavailable", "the department's system is not answering")


def lookup(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    svc = _service(ctx, body["service_id"])
    with db.connect(ctx.db_path) as conn, store.immediate(conn):
        citizen = citizen_of(conn, body["citizen"])
        records = svc.lookup(Call(ctx, conn, citizen, svc.service_id), body.get("params", {}))
    return Response(200, {"service_id": svc.service_id, "records": records})


def _reference(service_id: str, ctx: Context) -> str:
    return (f"{department_of(service_id).upper()}-{ctx.today():%Y%m%d}-"
            f"{secrets.randbelow(10**6):06d}")


def submit(ctx: Context, req: Request) -> Response:
    key = idempotency_key(req)
    body = json_body(req)
    service_id = body["service_id"]
    with db.connect(ctx.db_path) as conn:
        def work() -> tuple[int, Any, str | None]:
            svc = _service(ctx, service_id)
            if svc.submit is None:
                raise ApiError(400, "invalid_request", "this service has nothing to submit")
            citizen = citizen_of(conn, body["citizen"])
            now = ctx.now()
            if svc.second_factor:
                otp.use_token(conn, body.get("otp_token"), citizen.card_number, service_id, now)
            row = store.unique(conn, "submissions", lambda: {
                "reference": _reference(service_id, ctx), "service_id": service_id,
                "card_number": citizen.card_number, "terminal_id": req.terminal_id,
                "at": now.isoformat(timespec="seconds")})
            call = Call(ctx, conn, citizen, service_id, row["reference"])
            outcome = svc.submit(call, body["form"])
            payments.use(conn, body.get("payment_id"), citizen.card_number, service_id,
                         outcome.due, row["reference"], now)
            return 201, {"service_id": service_id, "reference": row["reference"],
                         "status": outcome.status, "result": outcome.result}, service_id

        stored = store.idempotent(conn, terminal_id=req.terminal_id, key=key, path=req.path,
                                  body=body, work=work)
    return store.reply(stored)
