"""POST /v1/terminals/{terminal_id}/heartbeat: a terminal says it is alive and how
it is (device states, alert codes, outbox counts). The gateway keeps the last one
per terminal; the sandbox shows them at GET /_sandbox/heartbeats."""

from __future__ import annotations

from kiosk.sandbox.core import ApiError, Context, Request, Response, json_body


def heartbeat(ctx: Context, req: Request) -> Response:
    if req.params.get("terminal_id") != req.terminal_id:
        # A terminal reports for itself only.
        raise ApiError(403, "forbidden", "a terminal sends its own heartbeat only")
    body = json_body(req)
    if body["terminal_id"] != req.terminal_id:
        raise ApiError(400, "invalid_request", "$.terminal_id: not the terminal in the path")
    at = ctx.now()
    ctx.heartbeats.record(req.terminal_id, at, body)
    return Response(200, {"received_at": at.isoformat(timespec="seconds")})
