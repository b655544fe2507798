"""The sandbox's SQLite store: schema, demo seeding and the voucher queries."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.serials import new_serial

VOUCHER_VALUE = 100
CURRENCY = "MOP"
# Writers wait this long for each other; the issue transaction is a few ms.
BUSY_TIMEOUT_S = 10.0


class UnknownCitizen(Exception):
    """No citizen has this card number together with this ID number."""


class InsufficientBalance(Exception):
    """More vouchers asked for than the citizen has left."""


class IdempotencyConflict(Exception):
    """An idempotency key was reused with a different request."""


@dataclass(frozen=True)
class Citizen:
    card_number: str
    id_number: str
    name_zh: str
    name_latin: str
    vouchers_available: int

    def holder(self) -> dict[str, str]:
        return {"name_zh": self.name_zh, "name_latin": self.name_latin}


@contextmanager
def connect(db_path: Path) -> Iterator[Database]:
    """A connection for one request: sqlite3 connections must not cross threads."""
    conn = sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S)
    # WAL with NORMAL: a commit survives the sandbox crashing, only not the
    # machine losing power, and costs no fsync: demo and tests stay quick.
    conn.execute("PRAGMA synchronous = NORMAL")
    db = Database(conn)
    try:
        yield db
    finally:
        conn.close()


def init_db(db_path: Path, today: date | None = None) -> None:
    """Create the schema and seed the demo citizens and their departments'
    records; safe to run on every start.

    Seeding only inserts citizens and records that are missing, so a restart
    keeps the balances, vouchers, payments and everything else already done.
    """
    # Here, not at the top: the departments build on this module.
    from kiosk.sandbox import departments, store

    db_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(db_path) as db:
        # WAL lets balance reads go on while an issue transaction writes.
        db.enable_wal()
        with db.atomic():
            db["citizens"].create(
                {
                    "card_number": str,
                    "id_number": str,
                    "name_zh": str,
                    "name_latin": str,
                    "vouchers_available": int,
                },
                pk="card_number",
                not_null=["id_number", "name_zh", "name_latin", "vouchers_available"],
                if_not_exists=True,
            )
            db["transactions"].create(
                {
                    "terminal_id": str,
                    "idempotency_key": str,
                    "transaction_id": str,
                    "request_hash": str,
                    "card_number": str,
                    "response_json": str,
                    "created_at": str,
                },
                pk=("terminal_id", "idempotency_key"),
                not_null=["transaction_id", "request_hash", "card_number", "response_json"],
                if_not_exists=True,
            )
            db["vouchers"].create(
                {
                    "serial": str,
                    "card_number": str,
                    "transaction_id": str,
                    "value": int,
                    "currency": str,
                    "valid_from": str,
                    "valid_until": str,
                },
                pk="serial",
                not_null=["card_number", "transaction_id", "value", "currency"],
                if_not_exists=True,
            )
            db["citizens"].insert_all(
                (
                    {
                        "card_number": c.card_number,
                        "id_number": c.id_number,
                        "name_zh": c.name_zh,
                        "name_latin": c.name_latin,
                        "vouchers_available": c.vouchers_available,
                    }
                    for c in DEMO_CITIZENS
                ),
                ignore=True,
            )
            store.create_tables(db)
            store.seed(db, departments.seed(today or date.today()))


def find_citizen(db: Database, card_number: str, id_number: str) -> Citizen:
    """The citizen holding both numbers, else UnknownCitizen."""
    rows = list(
        db.query(
            "select card_number, id_number, name_zh, name_latin, vouchers_available"
            " from citizens where card_number = ? and id_number = ?",
            [card_number, id_number],
        )
    )
    if not rows:
        raise UnknownCitizen()
    return Citizen(**rows[0])


def request_hash(body: dict[str, Any]) -> str:
    """Fingerprint of a request body, to tell a retry from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_vouchers(
    db: Database,
    *,
    terminal_id: str,
    idempotency_key: str,
    body: dict[str, Any],
    today: date,
) -> tuple[dict[str, Any], bool]:
    """Issue `body["count"]` vouchers, or replay the reply stored for this key.

    Returns (response, replayed). Everything happens in one IMMEDIATE
    transaction: it takes SQLite's write lock before reading, so two requests
    with the same key serialise and the second one finds the first one's row.
    """
    fingerprint = request_hash(body)
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        stored = list(
            db.query(
                "select request_hash, response_json from transactions"
                " where terminal_id = ? and idempotency_key = ?",
                [terminal_id, idempotency_key],
            )
        )
        if stored:
            if stored[0]["request_hash"] != fingerprint:
                raise IdempotencyConflict()
            db.rollback()
            return json.loads(stored[0]["response_json"]), True

        citizen = find_citizen(db, body["card_number"], body["id_number"])
        count = body["count"]
        if count > citizen.vouchers_available:
            raise InsufficientBalance()
        transaction_id = str(uuid.uuid4())
        valid_until = date(today.year, 12, 31).isoformat()
        terms = {
            "value": VOUCHER_VALUE,
            "currency": CURRENCY,
            "valid_from": today.isoformat(),
            "valid_until": valid_until,
        }
        row = {"card_number": citizen.card_number, "transaction_id": transaction_id, **terms}
        vouchers = [{"serial": _insert_unique_voucher(db, row), **terms} for _ in range(count)]
        remaining = citizen.vouchers_available - count
        db.execute(
            "update citizens set vouchers_available = ? where card_number = ?",
            [remaining, citizen.card_number],
        )
        response = {
            "transaction_id": transaction_id,
            "holder": citizen.holder(),
            "vouchers": vouchers,
            "remaining": remaining,
        }
        db["transactions"].insert(
            {
                "terminal_id": terminal_id,
                "idempotency_key": idempotency_key,
                "transaction_id": transaction_id,
                "request_hash": fingerprint,
                "card_number": citizen.card_number,
                "response_json": json.dumps(response, ensure_ascii=False),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        db.commit()
        return response, False
    except BaseException:
        db.rollback()
        raise


def _insert_unique_voucher(db: Database, row: dict[str, Any]) -> str:
    # 9e10 serials make a clash unlikely; the primary key makes uniqueness
    # certain: on a clash, draw again.
    while True:
        serial = new_serial()
        try:
            db["vouchers"].insert({"serial": serial, **row})
        except sqlite3.IntegrityError:
            continue
        return serial


# Inspection helpers for tests and the demo: no HTTP, straight from the file.


def vouchers_available(db_path: Path, card_number: str) -> int:
    with connect(db_path) as db:
        row = db["citizens"].get(card_number)
        return int(row["vouchers_available"])


def issued_serials(db_path: Path, card_number: str | None = None) -> list[str]:
    with connect(db_path) as db:
        if card_number is None:
            rows = db.query("select serial from vouchers order by serial")
        else:
            rows = db.query(
                "select serial from vouchers where card_number = ? order by serial",
                [card_number],
            )
        return [r["serial"] for r in rows]


def transaction_count(db_path: Path) -> int:
    with connect(db_path) as db:
        return db["transactions"].count
