"""What every sandbox handler shares: requests, replies, errors, the context
(database, clock, faults, journal of accepted calls) and body checking.

Handlers are plain functions from a Request to a Response, with no HTTP
machinery, so handler.py stays a thin adapter over http.server.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiosk.sandbox import db, schema
from kiosk.sandbox.faults import Faults

JOURNAL_SIZE = 10_000


class ApiError(Exception):
    """Becomes the JSON error reply {"error": {"code", "message", ...extra}}."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes
    terminal_id: str = ""  # set by dispatch once authenticated
    # A templated route's parameters ({"terminal_id": ...}); `path` is then the template.
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent verbatim
    headers: dict[str, str] = field(default_factory=dict)
    # For the journal of accepted calls: the service a state change was for.
    service_id: str | None = None

    @property
    def replayed(self) -> bool:
        return self.headers.get("Idempotent-Replayed") == "true"


class CallLog:
    """Every accepted state-changing call, for GET /_sandbox/transactions.

    Holds what a test needs to count and match calls, never a body: no
    citizen's data is kept here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: deque[dict[str, Any]] = deque(maxlen=JOURNAL_SIZE)

    def record(self, at: datetime, terminal_id: str, path: str, service_id: str | None,
               idempotency_key: str | None, replayed: bool) -> None:
        entry = {
            "at": at.isoformat(timespec="milliseconds"),
            "terminal_id": terminal_id,
            "path": path,
            "service_id": service_id,
            "idempotency_key": idempotency_key,
            "replayed": replayed,
        }
        with self._lock:
            self._calls.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._calls]


class Heartbeats:
    """The last heartbeat of each terminal, for GET /_sandbox/heartbeats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}

    def record(self, terminal_id: str, at: datetime, body: dict[str, Any]) -> None:
        with self._lock:
            seen = self._last.get(terminal_id, {}).get("count", 0)
            self._last[terminal_id] = {"received_at": at.isoformat(timespec="seconds"),
                                       "count": seen + 1, "heartbeat": body}

    def entries(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {t: dict(e) for t, e in sorted(self._last.items())}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    db_path: Path
    terminals: Mapping[str, str]
    today: Callable[[], date]
    now: Callable[[], datetime] = _utc_now
    faults: Faults = field(default_factory=Faults)
    calls: CallLog = field(default_factory=CallLog)
    heartbeats: Heartbeats = field(default_factory=Heartbeats)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(exc: ApiError) -> Response:
    return Response(exc.status, error_body(exc.code, exc.message, **exc.extra))


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
        # A lone surrogate ("\ud800") is valid JSON but not text: SQLite cannot store it.
        json.dumps(body, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        raise ApiError(400, "invalid_request", "body is not valid JSON") from None
    problems = schema.validate(body, schema.request_schema(req.method, req.path))
    if problems:
        raise ApiError(400, "invalid_request", "; ".join(problems[:5]))
    return body


def idempotency_key(req: Request) -> str:
    """The request's Idempotency-Key, checked against the spec; else 400."""
    key = req.headers.get("idempotency-key", "")
    if schema.validate(key, schema.header_schema(req.method, req.path, "Idempotency-Key")):
        raise ApiError(400, "invalid_request", "Idempotency-Key header missing or malformed")
    return key


def unknown_citizen() -> ApiError:
    return ApiError(404, "not_found", "no citizen with this card number and ID number")


def citizen_of(conn: Any, ref: Mapping[str, str]) -> db.Citizen:
    """The citizen a body's `citizen` names; 404 unless both numbers match."""
    try:
        return db.find_citizen(conn, ref["card_number"], ref["id_number"])
    except db.UnknownCitizen:
        raise unknown_citizen() from None
