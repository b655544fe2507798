"""The sandbox's endpoints: a tiny router and one handler per operation.

Handlers are plain functions from a Request to a Response, with no HTTP
machinery, so server.py stays a thin adapter over http.server.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiosk.sandbox import db, schema


class ApiError(Exception):
    """Becomes the JSON error reply {"error": {"code", "message"}}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes
    terminal_id: str = ""  # set by dispatch once authenticated


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent verbatim
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    db_path: Path
    terminals: Mapping[str, str]
    today: Callable[[], date]


Handler = Callable[[Context, Request], Response]


@dataclass(frozen=True)
class Route:
    handler: Handler
    public: bool = False  # no terminal authentication needed


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(exc: ApiError) -> Response:
    return Response(exc.status, error_body(exc.code, exc.message))


def authenticate(ctx: Context, req: Request) -> str:
    """The terminal id, if its bearer token matches; else 401."""
    terminal_id = req.headers.get("x-terminal-id", "")
    auth = req.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    expected = ctx.terminals.get(terminal_id)
    # compare_digest: no timing hint about how much of a token was right.
    if (
        not terminal_id
        or expected is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(token.strip().encode(), expected.encode())
    ):
        raise ApiError(401, "unauthorized", "terminal id or token missing or wrong")
    return terminal_id


def json_body(req: Request) -> dict[str, Any]:
    """The body as a JSON object, checked against the operation's schema."""
    try:
        body = json.loads(req.body)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_request", "body is not valid JSON") from None
    problems = schema.validate(body, schema.request_schema(req.method, req.path))
    if problems:
        raise ApiError(400, "invalid_request", "; ".join(problems[:5]))
    return body


def health(ctx: Context, req: Request) -> Response:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Response(200, {"status": "ok", "time": now})


def openapi(ctx: Context, req: Request) -> Response:
    return Response(200, schema.spec_bytes())


def voucher_balance(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        try:
            citizen = db.find_citizen(conn, body["card_number"], body["id_number"])
        except db.UnknownCitizen:
            raise _unknown_citizen() from None
    return Response(
        200,
        {
            "holder": citizen.holder(),
            "available": citizen.vouchers_available,
            "value": db.VOUCHER_VALUE,
            "currency": db.CURRENCY,
            "valid_until": date(ctx.today().year, 12, 31).isoformat(),
        },
    )


def voucher_issue(ctx: Context, req: Request) -> Response:
    key = req.headers.get("idempotency-key", "")
    if schema.validate(key, schema.header_schema(req.method, req.path, "Idempotency-Key")):
        raise ApiError(400, "invalid_request", "Idempotency-Key header missing or malformed")
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        try:
            reply, replayed = db.issue_vouchers(
                conn, terminal_id=req.terminal_id, idempotency_key=key, body=body, today=ctx.today()
            )
        except db.UnknownCitizen:
            raise _unknown_citizen() from None
        except db.InsufficientBalance:
            raise ApiError(
                409, "insufficient_balance", "more vouchers asked for than available"
            ) from None
        except db.IdempotencyConflict:
            raise ApiError(
                422, "idempotency_conflict", "Idempotency-Key already used with a different body"
            ) from None
    return Response(201, reply, {"Idempotent-Replayed": "true"} if replayed else {})


def _unknown_citizen() -> ApiError:
    return ApiError(404, "not_found", "no citizen with this card number and ID number")


ROUTES: dict[str, dict[str, Route]] = {
    "/v1/health": {"GET": Route(health, public=True)},
    "/v1/openapi.json": {"GET": Route(openapi, public=True)},
    "/v1/ssm/vouchers/balance": {"POST": Route(voucher_balance)},
    "/v1/ssm/vouchers/issue": {"POST": Route(voucher_issue)},
}


def dispatch(ctx: Context, req: Request) -> Response:
    """Route, authenticate, run the handler; every failure becomes a JSON error."""
    methods = ROUTES.get(req.path)
    try:
        if methods is None:
            raise ApiError(404, "not_found", "no such endpoint")
        route = methods.get(req.method)
        if route is None:
            allowed = ", ".join(sorted(methods))
            resp = error_response(
                ApiError(405, "method_not_allowed", f"use {allowed} on this endpoint")
            )
            resp.headers["Allow"] = allowed
            return resp
        if not route.public:
            req = replace(req, terminal_id=authenticate(ctx, req))
        return route.handler(ctx, req)
    except ApiError as exc:
        return error_response(exc)
