"""The sandbox's router: which handler answers which method and path, and
the dispatch that authenticates, runs it, and journals accepted changes.

Handlers live with what they serve: the common modules in `common/`, the
services in `services.py` (per department in `departments/`), the test
control in `control.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import unquote

from kiosk.sandbox import control, schema, services
from kiosk.sandbox.common import heartbeat, otp, payments, profile, progress, status
from kiosk.sandbox.core import (
    ApiError,
    Context,
    Request,
    Response,
    authenticate,
    error_body,
    error_response,
)
from kiosk.sandbox.departments import ssm

__all__ = ["ROUTES", "Context", "Request", "Response", "dispatch", "error_body"]

Handler = Callable[[Context, Request], Response]


@dataclass(frozen=True)
class Route:
    handler: Handler
    public: bool = False  # no terminal authentication needed
    writes: bool = False  # state-changing: journalled in /_sandbox/transactions


def health(ctx: Context, req: Request) -> Response:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Response(200, {"status": "ok", "time": now})


def openapi(ctx: Context, req: Request) -> Response:
    return Response(200, schema.spec_bytes())


ROUTES: dict[str, dict[str, Route]] = {
    "/v1/health": {"GET": Route(health, public=True)},
    "/v1/openapi.json": {"GET": Route(openapi, public=True)},
    "/v1/ssm/vouchers/balance": {"POST": Route(ssm.voucher_balance)},
    "/v1/ssm/vouchers/issue": {"POST": Route(ssm.voucher_issue, writes=True)},
    "/v1/profile": {"POST": Route(profile.profile)},
    "/v1/otp/send": {"POST": Route(otp.send, writes=True)},
    "/v1/otp/verify": {"POST": Route(otp.verify, writes=True)},
    "/v1/payments": {"POST": Route(payments.create, writes=True)},
    "/v1/payments/status": {"POST": Route(payments.status)},
    "/v1/payments/refund": {"POST": Route(payments.refund, writes=True)},
    "/v1/applications/progress": {"POST": Route(progress.progress)},
    "/v1/departments/status": {"POST": Route(status.departments_status)},
    "/v1/services/lookup": {"POST": Route(services.lookup)},
    "/v1/services/submit": {"POST": Route(services.submit, writes=True)},
    "/v1/terminals/{terminal_id}/heartbeat": {"POST": Route(heartbeat.heartbeat)},
    "/_sandbox/transactions": {"GET": Route(control.transactions, public=True)},
    "/_sandbox/heartbeats": {"GET": Route(control.heartbeats, public=True)},
    "/_sandbox/sms": {"GET": Route(control.sms, public=True)},
    "/_sandbox/payments/pay": {"POST": Route(control.pay, public=True)},
    "/_sandbox/faults": {"POST": Route(control.add_fault, public=True),
                         "DELETE": Route(control.clear_faults, public=True)},
}


# Routes with a {parameter} in their path: each segment in braces matches one segment.
_TEMPLATES = [(re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
                          + "$"), path) for path in ROUTES if "{" in path]


def _route(req: Request) -> tuple[Request, dict[str, Route] | None]:
    """The request's routes; for a templated path, the request with ``path`` the
    template (what the spec names) and ``params`` what the segments held."""
    methods = ROUTES.get(req.path)
    if methods is not None:
        return req, methods
    for pattern, template in _TEMPLATES:
        match = pattern.match(req.path)
        if match is not None:
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return replace(req, path=template, params=params), ROUTES[template]
    return req, None


def dispatch(ctx: Context, req: Request) -> Response:
    """Route, authenticate, run the handler; every failure becomes a JSON error."""
    req, methods = _route(req)
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
        resp = route.handler(ctx, req)
    except ApiError as exc:
        return error_response(exc)
    if route.writes and 200 <= resp.status < 300:
        ctx.calls.record(ctx.now(), req.terminal_id, req.path, resp.service_id,
                         req.headers.get("idempotency-key"), resp.replayed)
    return resp
