"""The outbox: transactions done at the kiosk, kept until the gateway has them.

A transaction a citizen completed while the gateway (or its department) could
not take it is recorded here and queued in one SQLite transaction, WAL with
synchronous FULL (``store.open_state``): once ``enqueue`` returns, a power cut
cannot lose it. Its idempotency key goes with it, so delivering it again after
a crash or a lost reply is applied once by the gateway (it replays its answer).

What the gateway needs (card and ID numbers, the form) is personal: it is
sealed with the terminal's key, bound to the item's id, and erased once
delivered or dropped. ``summary`` holds only what technicians may see.

States: ``pending`` (waiting, maybe backing off until ``next_attempt_at``),
``delivering`` (claimed by a worker; an item left so by a crash is pending again
when the outbox is next opened to deliver, ``resume=True``), ``delivered``
(payload erased, record kept),
``dead`` (refused for good, with the error: a technician retries or drops it),
``dropped`` (a technician discarded it; payload erased).

Order per department: a department's head is its oldest pending or delivering
item; only a head is ever due, so a later item never overtakes an earlier one.
Dead items are out of the line (see ``kiosk.offline.sync`` for why).
"""

from __future__ import annotations

import builtins
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlite_utils import Database

from kiosk.offline.sealed import Sealer

log = logging.getLogger(__name__)

TABLE = "outbox"
# Keys a summary must not carry: it is shown to technicians and printed by the CLI.
PERSONAL_KEYS = frozenset({"card_number", "id_number", "citizen", "form", "otp_token",
                           "payment_id", "name", "phone", "email", "address", "text"})


class State(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"
    DROPPED = "dropped"


class UnknownItem(KeyError):
    """No outbox item has this id."""


class OutboxStateError(ValueError):
    """The item is not in a state that allows this (e.g. retrying a delivered one)."""


class OutboxConflict(ValueError):
    """An idempotency key already queued for another service."""


@dataclass(frozen=True)
class OutboxItem:
    """What technicians may see of a queued transaction: nothing personal."""

    id: int
    idempotency_key: str
    service_id: str
    department: str
    state: State
    attempts: int
    created_at: float
    next_attempt_at: float
    last_error: str
    delivered_at: float | None
    reference: str
    summary: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "idempotency_key": self.idempotency_key,
                "service_id": self.service_id, "department": self.department,
                "state": self.state.value, "attempts": self.attempts,
                "created_at": self.created_at, "next_attempt_at": self.next_attempt_at,
                "last_error": self.last_error, "delivered_at": self.delivered_at,
                "reference": self.reference, "summary": dict(self.summary)}


@dataclass(frozen=True)
class OutboxStatus:
    counts: Mapping[str, int]  # by state, every state present
    by_department: Mapping[str, Mapping[str, int]]  # department -> state -> count
    oldest_pending_at: float | None
    oldest_pending_age_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(self.counts),
                "by_department": {d: dict(c) for d, c in self.by_department.items()},
                "oldest_pending_at": self.oldest_pending_at,
                "oldest_pending_age_s": self.oldest_pending_age_s}


class Outbox:
    """The queue on the terminal's state database. Thread-safe: one lock around
    the connection, so the journey's thread and the sync worker can share it.

    ``resume``: put items a stopped worker left in delivery back in line. The
    kiosk opens so at start; a technician's look (``kiosk queue status``) does
    not, lest it take an item from under a running kiosk's worker.
    """

    def __init__(self, db: Database, sealer: Sealer, *,
                 clock: Callable[[], float] = time.time, resume: bool = True) -> None:
        self._db = db
        self._sealer = sealer
        self._clock = clock
        self._lock = threading.RLock()
        with self._transaction():
            # AUTOINCREMENT: an id is never given twice, so a sealed payload is
            # bound to one item for good.
            db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                       "id INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "idempotency_key TEXT NOT NULL UNIQUE, service_id TEXT NOT NULL, "
                       "department TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, "
                       "created_at REAL NOT NULL, next_attempt_at REAL NOT NULL, "
                       "last_error TEXT, delivered_at REAL, reference TEXT, summary TEXT, "
                       "payload BLOB)")
            db.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_line ON {TABLE}(department, state, id)")
            # A worker killed mid-delivery left its item claimed: whether the gateway
            # got it is unknown, and the idempotency key makes sending it again safe.
            resumed = db.execute(f"UPDATE {TABLE} SET state = ? WHERE state = ?",
                                 [State.PENDING.value, State.DELIVERING.value]
                                 ).rowcount if resume else 0
        if resumed:
            log.warning("outbox: %d item(s) left in delivery by a stop; pending again", resumed)

    # --- queueing -------------------------------------------------------------

    def enqueue(self, *, service_id: str, department: str, idempotency_key: str,
                payload: Mapping[str, Any], summary: Mapping[str, Any]) -> OutboxItem:
        """Record and queue one transaction (one SQLite transaction, durable on
        return). The same key again returns the item already queued."""
        if not idempotency_key:
            raise ValueError("an outbox item needs an idempotency key")
        personal = PERSONAL_KEYS & set(summary)
        if personal:
            raise ValueError(f"summary must hold nothing personal: {sorted(personal)}")
        plain = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":")).encode()
        summary_text = json.dumps(dict(summary), ensure_ascii=False)
        now = self._clock()
        conn = self._db.conn  # the hot path: one statement, no helpers (see the benchmark)
        with self._transaction():
            # The write lock is held: the next id is known before the insert, so the
            # payload is sealed to it and goes in with the row, in one statement.
            (last,) = conn.execute("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE "
                                   f"name = '{TABLE}'), 0)").fetchone()
            item_id = last + 1
            inserted = conn.execute(
                f"INSERT INTO {TABLE} (id, idempotency_key, service_id, department, state, "
                "attempts, created_at, next_attempt_at, last_error, reference, summary, payload) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, ?, '', '', ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                [item_id, idempotency_key, service_id, department, State.PENDING.value, now,
                 now, summary_text, self._sealer.seal(plain, _aad(item_id))]).rowcount
            row = None if inserted else self._row_by_key(idempotency_key)
        if row is None:
            return OutboxItem(item_id, idempotency_key, service_id, department, State.PENDING,
                              0, now, now, "", None, "", json.loads(summary_text))
        if row["service_id"] != service_id:
            raise OutboxConflict(f"idempotency key already queued as item {row['id']} "
                                 f"for {row['service_id']}")
        return _item(row)

    def payload(self, item_id: int) -> dict[str, Any]:
        """The sealed payload, opened (only to deliver it)."""
        with self._lock:
            row = self._row(item_id)
        if row is None:
            raise UnknownItem(item_id)
        if row["payload"] is None:
            raise OutboxStateError(f"item {item_id} is {row['state']}: its payload was erased")
        return json.loads(self._sealer.open(row["payload"], _aad(item_id)))

    # --- the delivery line ------------------------------------------------------

    def next_due(self, now: float | None = None) -> builtins.list[OutboxItem]:
        """Each department's head, if it is pending and due by ``now``; oldest first."""
        now = self._clock() if now is None else now
        return [i for i in self.heads() if i.state is State.PENDING and i.next_attempt_at <= now]

    def heads(self) -> builtins.list[OutboxItem]:
        """Each department's oldest pending or delivering item, oldest first."""
        with self._lock:
            rows = self._db.query(
                f"SELECT * FROM {TABLE} WHERE id IN (SELECT MIN(id) FROM {TABLE} "
                "WHERE state IN (?, ?) GROUP BY department) ORDER BY id",
                [State.PENDING.value, State.DELIVERING.value])
            return [_item(r) for r in rows]

    def next_wakeup(self) -> float | None:
        """When the earliest pending head falls due (None: nothing pending)."""
        times = [i.next_attempt_at for i in self.heads() if i.state is State.PENDING]
        return min(times) if times else None

    def claim(self, item_id: int) -> OutboxItem | None:
        """Take a pending head for delivery (counts an attempt); None if it is no
        longer pending or no longer its department's head.

        Committed without waiting for the disk: a claim lost to a power cut
        leaves the item pending, which is what a restart makes of it anyway; the
        outcome that follows (delivered, failed, dead) is committed durably.
        """
        with self._transaction(durable=False):
            cursor = self._db.execute(
                f"UPDATE {TABLE} SET state = ?, attempts = attempts + 1 WHERE id = ? AND state = ? "
                f"AND id = (SELECT MIN(id) FROM {TABLE} AS o WHERE o.department = "
                f"{TABLE}.department AND o.state IN (?, ?))",
                [State.DELIVERING.value, item_id, State.PENDING.value, State.PENDING.value,
                 State.DELIVERING.value])
            row = self._row(item_id) if cursor.rowcount == 1 else None
        return None if row is None else _item(row)

    def delivered(self, item_id: int, reference: str = "") -> None:
        """The gateway has it: erase the payload, keep the record."""
        self._finish(item_id, State.DELIVERED, "payload = NULL, delivered_at = ?, reference = ?, "
                     "last_error = ''", [self._clock(), reference])

    def failed(self, item_id: int, error: str, retry_at: float) -> None:
        """A transient failure: pending again, not before ``retry_at``."""
        self._finish(item_id, State.PENDING, "next_attempt_at = ?, last_error = ?",
                     [retry_at, error])

    def dead(self, item_id: int, error: str) -> None:
        """Refused for good: out of the line, kept (sealed) for a technician."""
        self._finish(item_id, State.DEAD, "last_error = ?", [error])

    def _finish(self, item_id: int, state: State, sets: str, args: builtins.list[Any]) -> None:
        with self._transaction():
            cursor = self._db.execute(f"UPDATE {TABLE} SET state = ?, {sets} WHERE id = ? "
                                      "AND state = ?",
                                      [state.value, *args, item_id, State.DELIVERING.value])
            if cursor.rowcount != 1:
                raise OutboxStateError(f"item {item_id} is not being delivered")

    # --- for technicians --------------------------------------------------------

    def get(self, item_id: int) -> OutboxItem:
        with self._lock:
            row = self._row(item_id)
        if row is None:
            raise UnknownItem(item_id)
        return _item(row)

    def retry(self, item_id: int) -> OutboxItem:
        """A dead item back in its department's line, due now."""
        return self._move(item_id, {State.DEAD}, State.PENDING, "next_attempt_at = ?",
                          [self._clock()])

    def drop(self, item_id: int) -> OutboxItem:
        """Give up on a pending or dead item: its payload is erased, the record kept."""
        return self._move(item_id, {State.PENDING, State.DEAD}, State.DROPPED, "payload = NULL",
                          [])

    def make_due(self, now: float | None = None) -> int:
        """Every pending item due now (connectivity came back); returns how many moved."""
        now = self._clock() if now is None else now
        with self._transaction():
            return self._db.execute(f"UPDATE {TABLE} SET next_attempt_at = ? WHERE state = ? "
                                    "AND next_attempt_at > ?",
                                    [now, State.PENDING.value, now]).rowcount

    def status(self, now: float | None = None) -> OutboxStatus:
        now = self._clock() if now is None else now
        with self._lock:
            rows = builtins.list(self._db.query(
                f"SELECT department, state, COUNT(*) AS n FROM {TABLE} GROUP BY department, state"))
            oldest = self._db.execute(f"SELECT MIN(created_at) FROM {TABLE} WHERE state IN (?, ?)",
                                      [State.PENDING.value, State.DELIVERING.value]).fetchone()[0]
        counts = {s.value: 0 for s in State}
        by_department: dict[str, dict[str, int]] = {}
        for r in rows:
            counts[r["state"]] += r["n"]
            by_department.setdefault(r["department"], {})[r["state"]] = r["n"]
        return OutboxStatus(counts, dict(sorted(by_department.items())), oldest,
                            None if oldest is None else max(0.0, now - oldest))

    def list(self, state: State | str | None = None) -> builtins.list[OutboxItem]:
        """Items oldest first, without payloads; ``state`` to see one kind only."""
        where, args = ("WHERE state = ?", [State(state).value]) if state else ("", [])
        with self._lock:
            return [_item(r) for r in self._db.query(f"SELECT * FROM {TABLE} {where} ORDER BY id",
                                                     args)]

    # --- plumbing ---------------------------------------------------------------

    def _move(self, item_id: int, sources: set[State], target: State, sets: str,
              args: builtins.list[Any]) -> OutboxItem:
        with self._transaction():
            row = self._row(item_id)
            if row is None:
                raise UnknownItem(item_id)
            if State(row["state"]) not in sources:
                raise OutboxStateError(f"item {item_id} is {row['state']}")
            self._db.execute(f"UPDATE {TABLE} SET state = ?, {sets} WHERE id = ?",
                             [target.value, *args, item_id])
            row = self._row(item_id)
        assert row is not None
        return _item(row)

    @contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[None]:
        # Raw SQL on the autocommit connection: sqlite-utils' own writes would
        # commit halfway. IMMEDIATE takes the write lock before the first read.
        # Not durable: WAL with synchronous NORMAL, no fsync at this commit (the
        # next durable one syncs it too); order and atomicity are kept.
        conn = self._db.conn
        with self._lock:
            if not durable:
                conn.execute("PRAGMA synchronous=NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous=FULL")

    def _row(self, item_id: int) -> dict[str, Any] | None:
        rows = builtins.list(self._db.query(f"SELECT * FROM {TABLE} WHERE id = ?", [item_id]))
        return rows[0] if rows else None

    def _row_by_key(self, key: str) -> dict[str, Any] | None:
        rows = builtins.list(self._db.query(f"SELECT * FROM {TABLE} WHERE idempotency_key = ?",
                                            [key]))
        return rows[0] if rows else None


def _aad(item_id: int) -> str:
    return f"outbox/{item_id}"


def _item(row: Mapping[str, Any]) -> OutboxItem:
    return OutboxItem(row["id"], row["idempotency_key"], row["service_id"], row["department"],
                      State(row["state"]), row["attempts"], row["created_at"],
                      row["next_attempt_at"], row["last_error"] or "", row["delivered_at"],
                      row["reference"] or "", json.loads(row["summary"] or "{}"))
