"""The gateway's own tables beside the voucher ones: department records (a
small document store), idempotent replies, payments, OTP, the SMS outbox and
submissions; and the transaction helpers every state change goes through."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.sandbox.core import ApiError, Response
from kiosk.sandbox.db import request_hash

TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    # One department record (a fine, a loan, a family member ...) as JSON.
    "records": (
        {"record_id": str, "kind": str, "card_number": str, "position": int, "data": str},
        "record_id",
    ),
    "idempotency": (
        {"terminal_id": str, "idempotency_key": str, "path": str, "request_hash": str,
         "status": int, "response": str, "service_id": str, "created_at": str},
        ("terminal_id", "idempotency_key"),
    ),
    "payments": (
        {"payment_id": str, "card_number": str, "service_id": str, "amount": str,
         "currency": str, "items": str, "status": str, "created_at": str, "expires_at": str,
         "paid_at": str, "used_by": str, "refund_reason": str},
        "payment_id",
    ),
    "otp_challenges": (
        {"challenge_id": str, "card_number": str, "service_id": str, "code": str,
         "created_at": str, "expires_at": str, "wrong": int, "token": str},
        "challenge_id",
    ),
    "otp_tokens": (
        {"token": str, "card_number": str, "service_id": str, "expires_at": str,
         "used_at": str},
        "token",
    ),
    "sms": ({"id": int, "at": str, "phone_masked": str, "text": str, "code": str}, "id"),
    "submissions": (
        {"reference": str, "service_id": str, "card_number": str, "terminal_id": str,
         "at": str},
        "reference",
    ),
}


def create_tables(db: Database) -> None:
    for name, (columns, pk) in TABLES.items():
        db[name].create(columns, pk=pk, if_not_exists=True)
    db["records"].create_index(["kind", "card_number"], if_not_exists=True)


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """One write transaction, taken before the first read, so two requests that
    read-then-write serialise (BEGIN IMMEDIATE takes SQLite's write lock)."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


@dataclass(frozen=True)
class Stored:
    status: int
    body: Any
    service_id: str | None
    replayed: bool


def reply(stored: Stored) -> Response:
    """The HTTP reply of a stored (or just stored) answer."""
    return Response(stored.status, stored.body,
                    {"Idempotent-Replayed": "true"} if stored.replayed else {},
                    service_id=stored.service_id)


def idempotent(
    db: Database,
    *,
    terminal_id: str,
    key: str,
    path: str,
    body: dict[str, Any],
    work: Callable[[], tuple[int, Any, str | None]],
) -> Stored:
    """Run `work` once per (terminal, key): the same key and body again gets the
    stored reply; the same key with another body or path is 422. A refused
    request (ApiError from `work`) stores nothing and changes nothing."""
    fingerprint = request_hash({"path": path, "body": body})
    with immediate(db):
        rows = list(db.query(
            "select request_hash, status, response, service_id from idempotency"
            " where terminal_id = ? and idempotency_key = ?", [terminal_id, key]))
        if rows:
            if rows[0]["request_hash"] != fingerprint:
                raise ApiError(422, "idempotency_conflict",
                               "Idempotency-Key already used with a different request")
            row = rows[0]
            return Stored(row["status"], json.loads(row["response"]), row["service_id"], True)
        status, reply, service_id = work()
        db["idempotency"].insert({
            "terminal_id": terminal_id, "idempotency_key": key, "path": path,
            "request_hash": fingerprint, "status": status,
            "response": json.dumps(reply, ensure_ascii=False), "service_id": service_id,
            "created_at": _now_text(db),
        })
    return Stored(status, reply, service_id, False)


def _now_text(db: Database) -> str:
    return str(next(db.query("select strftime('%Y-%m-%dT%H:%M:%SZ', 'now') as t"))["t"])


# --- department records ---------------------------------------------------------


@dataclass(frozen=True)
class Record:
    record_id: str
    data: dict[str, Any]


def records(db: Database, kind: str, card_number: str) -> list[Record]:
    rows = db.query(
        "select record_id, data from records where kind = ? and card_number = ?"
        " order by position, record_id", [kind, card_number])
    return [Record(r["record_id"], json.loads(r["data"])) for r in rows]


def record(db: Database, kind: str, card_number: str, record_id: str) -> Record | None:
    rows = list(db.query(
        "select record_id, data from records where kind = ? and card_number = ?"
        " and record_id = ?", [kind, card_number, record_id]))
    return Record(rows[0]["record_id"], json.loads(rows[0]["data"])) if rows else None


def single(db: Database, kind: str, card_number: str) -> dict[str, Any] | None:
    """The one record of a kind a citizen has at most (a profile, a membership)."""
    found = record(db, kind, card_number, f"{kind}:{card_number}")
    return None if found is None else found.data


def put(db: Database, kind: str, card_number: str, record_id: str, data: dict[str, Any],
        position: int = 0) -> None:
    db["records"].upsert({"record_id": record_id, "kind": kind, "card_number": card_number,
                          "position": position,
                          "data": json.dumps(data, ensure_ascii=False)}, pk="record_id")


def put_single(db: Database, kind: str, card_number: str, data: dict[str, Any]) -> None:
    put(db, kind, card_number, f"{kind}:{card_number}", data)


def seed(db: Database, rows: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Insert demo records (kind, card, id, data) that are missing; records
    already there (maybe changed since) are kept."""
    db["records"].insert_all(
        ({"record_id": rid, "kind": kind, "card_number": card, "position": n,
          "data": json.dumps(data, ensure_ascii=False)}
         for n, (kind, card, rid, data) in enumerate(rows)),
        ignore=True,
    )


def new_id(prefix: str, digits: int = 8) -> str:
    return f"{prefix}{secrets.randbelow(10**digits):0{digits}d}"


def unique(db: Database, table: str, row: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Insert `row()` into `table`, drawing again while its key clashes."""
    while True:
        candidate = row()
        try:
            db[table].insert(candidate)
        except sqlite3.IntegrityError:
            continue
        return candidate
