"""The audit log: technicians' acts, append-only, each entry chained to the last.

Why: a technician can change the configuration, enter maintenance mode, reprint
a kept printout or drop a citizen's queued transaction. Each such act is one
entry here, and the log must show afterwards whether anyone edited, deleted,
reordered or inserted entries.

How: entry ``n`` carries ``prev_hash`` (entry ``n-1``'s hash, or ``GENESIS`` for
the first) and ``hash`` = HMAC-SHA256 over the canonical JSON of its own fields
plus ``prev_hash``. Changing any field changes that entry's hash; removing or
moving one breaks the sequence or the chain. ``verify`` walks the whole log and
names the first entry that does not hold.

What the HMAC adds over a bare SHA-256: someone who can edit the SQLite file
but cannot read ``keys/data.key`` (a copied or partially restored database, a
process with access to ``state/`` only, a backup edited offline) cannot
recompute valid hashes after a change, so a rewrite is detected even if the
whole chain from that point is redone. What it does NOT add: the key sits on
the same disk (0600, owner only), so whoever can read it (root, the kiosk user)
can rewrite the log from any point with fresh, valid hashes. Against that, and
against cutting entries off the end (the remaining chain is still valid), the
log has an outside anchor: ``head()`` gives ``(seq, hash)`` of the last entry
for the fleet heartbeat to report; a later head that is lower, or whose hash no
longer matches the entry at the reported seq, shows truncation or rewriting.

Durability and concurrency: the state database (``store.open_state``: WAL,
synchronous FULL) holds the table; ``append`` reads the head and inserts the
next entry inside one ``BEGIN IMMEDIATE`` transaction, so threads sharing an
``AuditLog`` and processes each with their own never take the same seq. SQL
triggers refuse UPDATE and DELETE so the kiosk's own code cannot change an
entry by mistake; they are no defence against a person with the file (they can
drop the triggers), which is what the hash chain is for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.offline.outbox import PERSONAL_KEYS
from kiosk.offline.store import open_state

TABLE = "audit_log"
# What the first entry chains to: a fixed, public value (64 hex digits, as a hash).
GENESIS = "0" * 64
# The outbox summary's refused keys, plus what an act on a device could name.
AUDIT_PERSONAL_KEYS = PERSONAL_KEYS | frozenset({"card", "photo", "face", "birth_date",
                                                 "date_of_birth", "owner", "document"})
MAX_DETAILS_BYTES = 2048  # "a small dict": an audit entry is a line, not a payload
_ACTOR = re.compile(r"^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)?$")  # cli, system, technician:T001
_ACTION = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")  # config.change, queue.drop
Scalar = str | int | float | bool | None


class AuditError(ValueError):
    """An entry refused before it was written (bad actor/action, personal or large details)."""


@dataclass(frozen=True)
class Entry:
    """One recorded act, as stored."""

    seq: int
    at: str  # ISO-8601, UTC
    actor: str
    action: str
    details: Mapping[str, Scalar]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
                "details": dict(self.details), "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain: ``ok``, how many entries were read, and
    the first entry that fails (``bad_seq``) with ``reason`` ("hash mismatch",
    "gap in sequence", "chain broken") and a ``detail`` for people."""

    ok: bool
    count: int
    bad_seq: int | None = None
    reason: str | None = None
    detail: str = ""
    head: tuple[int, str] = (0, GENESIS)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "count": self.count, "bad_seq": self.bad_seq,
                "reason": self.reason, "detail": self.detail,
                "head": {"seq": self.head[0], "hash": self.head[1]}}

    def __str__(self) -> str:
        if self.ok:
            seq, digest = self.head
            return f"audit log intact: {self.count} entries, head {seq} {digest[:16]}"
        return f"audit log entry {self.bad_seq}: {self.reason} ({self.detail})"


def derive_audit_key(data_key: bytes) -> bytes:
    """The chain's HMAC key: derived from the terminal's data key (``keys.py``) for
    this one use, the same HKDF-expand step as ``sealed``, so it differs from the
    sealing and owner-tag keys."""
    return hmac.new(data_key, b"kiosk audit chain v1" + b"\x01", hashlib.sha256).digest()


class AuditLog:
    """The terminal's audit log in its state database.

    ``path_or_state_db``: the database file (opened with ``open_state``) or an open
    ``Database``; give a ``Database`` only if nothing else runs transactions on
    that connection from other threads (this object's lock guards only its own
    use). ``key``: the terminal's data key (``load_or_create_key``), not the
    derived one. ``clock``: for tests.
    """

    def __init__(self, path_or_state_db: Path | str | Database, key: bytes, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = (path_or_state_db if isinstance(path_or_state_db, Database)
                    else open_state(Path(path_or_state_db)))
        self._key = derive_audit_key(key)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        with self._transaction() as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                         "seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, "
                         "action TEXT NOT NULL, details TEXT NOT NULL, "
                         "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)")
            for verb in ("UPDATE", "DELETE"):
                conn.execute(f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{verb.lower()} "
                             f"BEFORE {verb} ON {TABLE} "
                             "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")

    # --- writing ---------------------------------------------------------------

    def append(self, actor: str, action: str, /, **details: Scalar) -> Entry:
        """Record one act; durable when it returns. Raises ``AuditError`` for a bad
        actor or action, a details value that is not a scalar, a key that names
        personal data, or details over ``MAX_DETAILS_BYTES``."""
        details_text = _details_text(actor, action, details)
        parsed = json.loads(details_text)
        with self._transaction() as conn:
            # Under the write lock: no other writer can take this seq or this head.
            row = conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
                               ).fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            at = self._clock().astimezone(UTC).isoformat(timespec="microseconds")
            digest = self._hash(seq, at, actor, action, parsed, prev)
            conn.execute(f"INSERT INTO {TABLE} (seq, at, actor, action, details, prev_hash, hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [seq, at, actor, action, details_text, prev, digest])
        return Entry(seq, at, actor, action, parsed, prev, digest)

    # --- reading ---------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry, ``(0, GENESIS)`` if none: the anchor a
        fleet heartbeat reports, so cutting the tail off is seen from outside."""
        with self._lock:
            row = self._db.conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC "
                                        "LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def entries(self, since: int | None = None, limit: int | None = None) -> list[Entry]:
        """Entries after seq ``since`` (all if None), oldest first, at most ``limit``.
        Details that are not valid JSON (tampered) come back as ``{"?": text}``."""
        sql = "WHERE seq > ? ORDER BY seq"
        args: list[Any] = [since or 0]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(0, limit))
        return [_entry(r) for r in self._select(sql, args)]

    def verify(self) -> VerifyResult:
        """Walk the whole chain; the first failing entry, or ok.

        Per entry, in seq order: its seq follows the last one (else "gap in
        sequence", which names the missing seq); its hash matches its own content
        and prev_hash (else "hash mismatch"); its prev_hash is the previous entry's
        hash (else "chain broken"). Cutting entries off the end leaves a valid
        chain: compare ``head()`` with the one reported earlier for that.
        """
        expected_seq, prev = 1, GENESIS
        count = 0
        rows: Iterator[tuple[Any, ...]] = iter(self._select("ORDER BY seq", []))
        for seq, at, actor, action, details_text, prev_hash, stored in rows:
            count += 1
            if seq != expected_seq:
                return VerifyResult(False, count, expected_seq, "gap in sequence",
                                    f"expected seq {expected_seq}, found {seq}")
            try:
                details = json.loads(details_text)
            except (TypeError, ValueError, RecursionError):
                details = {"?": details_text}
            try:
                intact = hmac.compare_digest(
                    self._hash(seq, at, actor, action, details, prev_hash), str(stored))
            except (TypeError, ValueError, RecursionError):
                # A cell no kiosk writes (bytes, a lone surrogate, a hash that is not
                # ASCII, JSON nested past the recursion limit) cannot be the content
                # that was hashed.
                intact = False
            if not intact:
                return VerifyResult(False, count, seq, "hash mismatch",
                                    "its content is not what was recorded")
            if prev_hash != prev:
                return VerifyResult(False, count, seq, "chain broken",
                                    "its prev_hash is not the previous entry's hash")
            expected_seq, prev = seq + 1, stored
        return VerifyResult(True, count, head=(expected_seq - 1, prev))

    # --- plumbing --------------------------------------------------------------

    def _select(self, clauses: str, args: list[Any]) -> list[tuple[Any, ...]]:
        """The table's rows (``clauses`` after FROM), every cell text or a number.
        An edited file may hold bytes, or text that is not UTF-8 (which makes
        sqlite3 refuse the row, so it is then read as bytes): either is decoded
        with replacement characters, so it is shown, and its hash no longer matches."""
        columns = ("at", "actor", "action", "details", "prev_hash", "hash")
        with self._lock:
            try:
                rows = self._db.conn.execute(
                    f"SELECT seq, {', '.join(columns)} FROM {TABLE} {clauses}", args).fetchall()
            except sqlite3.OperationalError:
                as_bytes = ", ".join(f"CAST({c} AS BLOB)" for c in columns)
                rows = self._db.conn.execute(f"SELECT seq, {as_bytes} FROM {TABLE} {clauses}",
                                             args).fetchall()
        return [tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in row)
                for row in rows]

    def _hash(self, seq: int, at: str, actor: str, action: str, details: Any,
              prev_hash: str) -> str:
        message = json.dumps({"v": 1, "seq": seq, "at": at, "actor": actor, "action": action,
                              "details": details, "prev_hash": prev_hash},
                             sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hmac.new(self._key, message.encode(),
                        hashlib.sha256).hexdigest()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # Raw SQL on the autocommit connection (as the outbox): IMMEDIATE takes the
        # write lock before the head is read, so read-then-insert is atomic across
        # processes; the lock serialises threads sharing this connection.
        conn = self._db.conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def terminal_audit_log(home: Path) -> AuditLog:
    """The terminal's audit log: in its state file under ``home``, keyed by its
    data key (``KeyFileError`` if the key file is unsafe or damaged)."""
    from kiosk.offline.keys import load_or_create_key

    return AuditLog(home / "state" / "terminal.db", load_or_create_key(home / "keys" / "data.key"))


def _details_text(actor: str, action: str, details: Mapping[str, Any]) -> str:
    if not isinstance(actor, str) or not _ACTOR.match(actor):
        raise AuditError(f"actor {actor!r}: expected e.g. 'cli', 'system', 'technician:T001'")
    if not isinstance(action, str) or not _ACTION.match(action):
        raise AuditError(f"action {action!r}: expected e.g. 'config.change', 'queue.drop'")
    personal = sorted(k for k in details if k.lower() in AUDIT_PERSONAL_KEYS)
    if personal:
        raise AuditError(f"audit details must hold nothing personal: {personal}")
    for key, value in details.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise AuditError(f"audit detail {key!r}: {type(value).__name__}, not a scalar")
        if isinstance(value, float) and not math.isfinite(value):
            raise AuditError(f"audit detail {key!r}: {value} is not a JSON number")
    text = json.dumps(dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        size = len(text.encode())
    except UnicodeEncodeError:
        raise AuditError("audit details: text that is not valid Unicode") from None
    if size > MAX_DETAILS_BYTES:
        raise AuditError(f"audit details over {MAX_DETAILS_BYTES} bytes")
    return text


def _entry(row: tuple[Any, ...]) -> Entry:
    seq, at, actor, action, details_text, prev_hash, digest = row
    try:
        details = json.loads(details_text)
        json.dumps(details, ensure_ascii=False).encode()  # "\ud800" reads, but is no text
    except (TypeError, ValueError, RecursionError):
        details = None
    if not isinstance(details, dict):  # tampered: not the object append() wrote
        details = {"?": details_text}
    return Entry(seq, at, actor, action, details, prev_hash, digest)
