"""Printouts that failed, kept until they are printed: nothing issued is lost.

When a printer fails mid-job (paper out, cover open, offline), the finished
document is kept here, sealed, under a short reference the citizen can read off
the screen. It is printed later: by the same citizen on this kiosk (found by
their ID number's owner tag, after they prove who they are again), or by a
technician. Items the backend issued, such as voucher serials, are in the
document, so a reprint carries the same serials and nothing is issued twice.
Once printed, or after ``keep_days``, the document itself is erased; the
record without it stays for the technicians' history.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlite_utils import Database

from kiosk.offline.sealed import Sealer

TABLE = "kept_prints"
# Crockford's base32 without look-alikes (no I, L, O, U): easy to read aloud.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class KeptState(StrEnum):
    WAITING = "waiting"
    PRINTED = "printed"
    EXPIRED = "expired"


class UnknownReference(KeyError):
    """No kept printout has this reference."""


@dataclass(frozen=True)
class KeptPrint:
    """What technicians may see of a kept printout: nothing personal."""

    reference: str
    service_id: str
    job_name: str
    pages: int
    state: KeptState
    attempts: int
    last_error: str
    kept_at: float
    printed_at: float | None
    printed_by: str


def new_reference() -> str:
    """Eight characters in two groups, e.g. ``7K3Q-9F2A`` (40 random bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_reference(text: str) -> str:
    """What a person types or reads aloud, as stored: case, spaces, O for 0, I/L for 1."""
    raw = text.upper().replace(" ", "").replace("-", "")
    raw = raw.translate(str.maketrans("OIL", "011"))
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else text.strip().upper()


class KeptPrints:
    def __init__(self, db: Database, sealer: Sealer, *, keep_days: float = 30.0) -> None:
        self._db = db
        self._sealer = sealer
        self.keep_s = keep_days * 86400
        if TABLE not in db.table_names():
            db[TABLE].create({
                "reference": str, "service_id": str, "owner": str, "job_name": str,
                "pages": int, "state": str, "attempts": int, "last_error": str,
                "kept_at": float, "printed_at": float, "printed_by": str, "document": bytes,
            }, pk="reference", not_null={"service_id", "owner", "state"})
            db[TABLE].create_index(["owner", "service_id", "state"])

    def keep(self, pdf: bytes, *, service_id: str, owner: str, job_name: str, pages: int,
             error: str) -> KeptPrint:
        """Keep a printout that failed with ``error``; returns its new record."""
        reference = new_reference()
        while self._row(reference) is not None:
            reference = new_reference()
        self._db[TABLE].insert({
            "reference": reference, "service_id": service_id,
            "owner": self._sealer.owner_tag(owner), "job_name": job_name, "pages": pages,
            "state": KeptState.WAITING.value, "attempts": 1, "last_error": error,
            "kept_at": time.time(), "printed_at": None, "printed_by": "",
            "document": self._sealer.seal(pdf, reference),
            })
        return self.get(reference)

    def failed_again(self, reference: str, error: str) -> None:
        self._db.execute(f"UPDATE {TABLE} SET attempts = attempts + 1, last_error = ? "
                         "WHERE reference = ?", [error, reference])

    def printed(self, reference: str, by: str) -> None:
        """The printout came out: erase the document, keep the record."""
        self._db.execute(f"UPDATE {TABLE} SET state = ?, printed_at = ?, printed_by = ?, "
                         "document = NULL WHERE reference = ?",
                         [KeptState.PRINTED.value, time.time(), by, reference])

    def document(self, reference: str) -> bytes:
        row = self._row(reference)
        if row is None or row["state"] != KeptState.WAITING.value or row["document"] is None:
            raise UnknownReference(reference)
        return self._sealer.open(row["document"], reference)

    def get(self, reference: str) -> KeptPrint:
        row = self._row(normalise_reference(reference))
        if row is None:
            raise UnknownReference(reference)
        return _record(row)

    def waiting_for(self, owner: str, service_id: str) -> list[KeptPrint]:
        """A citizen's printouts still waiting for this service, oldest first."""
        rows = self._db.query(
            f"SELECT * FROM {TABLE} WHERE owner = ? AND service_id = ? AND state = ? "
            "ORDER BY kept_at", [self._sealer.owner_tag(owner), service_id,
                                 KeptState.WAITING.value])
        return [_record(r) for r in rows]

    def all(self, *, waiting_only: bool = False) -> list[KeptPrint]:
        where = "WHERE state = ?" if waiting_only else ""
        args = [KeptState.WAITING.value] if waiting_only else []
        rows = self._db.query(f"SELECT * FROM {TABLE} {where} ORDER BY kept_at", args)
        return [_record(r) for r in rows]

    def expire(self, now: float | None = None) -> int:
        """Erase documents kept longer than ``keep_days``; returns how many."""
        cutoff = (time.time() if now is None else now) - self.keep_s
        cursor = self._db.execute(f"UPDATE {TABLE} SET state = ?, document = NULL "
                                  "WHERE state = ? AND kept_at < ?",
                                  [KeptState.EXPIRED.value, KeptState.WAITING.value, cutoff])
        return cursor.rowcount

    def _row(self, reference: str) -> dict | None:
        rows = list(self._db.query(f"SELECT * FROM {TABLE} WHERE reference = ?", [reference]))
        return rows[0] if rows else None


def _record(row: dict) -> KeptPrint:
    return KeptPrint(row["reference"], row["service_id"], row["job_name"], row["pages"],
                     KeptState(row["state"]), row["attempts"], row["last_error"] or "",
                     row["kept_at"], row["printed_at"], row["printed_by"] or "")
