"""What the terminal has done and used up, for field staff: sessions by outcome,
card reads, prints, failures, and the paper since it was last replaced.

Kept in the terminal's state database (its own tables), so a restart does not
reset them, and counted with single SQL statements, so the journey's thread,
the devices' threads and a CLI on another connection may all add at once.
``CounterFeed`` counts from the devices' own events and the journey's session
reports; it reads nothing personal (a card inserted is an edge of ``media``,
a session an outcome).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.devices.base import Device
from kiosk.devices.printer import JobEnd, Printer
from kiosk.devices.status import (
    DOWN_STATES,
    CardReaderStatus,
    DeviceStatus,
    Media,
    Paper,
    PrinterStatus,
)
from kiosk.offline.store import open_state

if TYPE_CHECKING:
    from kiosk.journey.views import SessionReport

COUNTERS = "maintenance_counters"
CONSUMABLES = "maintenance_consumables"
NAMES = ("sessions_completed", "sessions_cancelled", "sessions_timeout",
         "sessions_card_removed", "sessions_failed", "card_reads", "prints", "pages",
         "print_failures", "device_failures")
# What each counted unit uses up: a printed page is one sheet (or one length of roll).
USES = {"pages": "paper"}
SESSION_OUTCOMES = ("completed", "cancelled", "timeout", "card_removed", "failed")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consumable:
    name: str
    used: int  # since it was last replaced
    capacity: int
    replaced_at: str | None  # ISO 8601 UTC; None: never recorded as replaced

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.used)


class Counters:
    """Persistent, thread-safe counters on ``db_path`` (the terminal's state file)."""

    def __init__(self, db_path: Path, *, paper_capacity: int = 500) -> None:
        self._db = open_state(Path(db_path))
        self._capacity = {"paper": paper_capacity}
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {COUNTERS} ("
                             "name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {CONSUMABLES} ("
                             "name TEXT PRIMARY KEY, used INTEGER NOT NULL DEFAULT 0, "
                             "replaced_at TEXT)")

    def add(self, name: str, n: int = 1) -> None:
        """Count ``n`` more of ``name`` (one of ``NAMES``); pages also use paper."""
        if name not in NAMES:
            raise ValueError(f"no counter {name!r} (one of {', '.join(NAMES)})")
        if n < 0:
            raise ValueError("counters only go up")
        if n == 0:
            return
        conn = self._db.conn
        with self._lock:
            # One transaction: the pages and the paper they used are counted together.
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(f"INSERT INTO {COUNTERS} (name, value) VALUES (?, ?) "
                             "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                             (name, n))
                if name in USES:
                    conn.execute(f"INSERT INTO {CONSUMABLES} (name, used) VALUES (?, ?) "
                                 "ON CONFLICT(name) DO UPDATE SET used = used + excluded.used",
                                 (USES[name], n))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def snapshot(self) -> dict[str, int]:
        """Every counter, 0 for those never counted."""
        with self._lock:
            rows = dict(self._db.execute(f"SELECT name, value FROM {COUNTERS}").fetchall())
        return {name: int(rows.get(name, 0)) for name in NAMES}

    def consumables(self) -> list[Consumable]:
        with self._lock:
            rows = {r[0]: r[1:] for r in self._db.execute(
                f"SELECT name, used, replaced_at FROM {CONSUMABLES}").fetchall()}
        return [Consumable(name, int(rows.get(name, (0, None))[0]), capacity,
                           rows.get(name, (0, None))[1])
                for name, capacity in self._capacity.items()]

    def replace(self, name: str) -> int:
        """A technician put in a new ``name`` (paper): its count starts again.
        Returns how much the old one had used."""
        if name not in self._capacity:
            raise ValueError(f"no consumable {name!r} (one of {', '.join(self._capacity)})")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn = self._db.conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")  # read and reset with no page counted between
            try:
                row = conn.execute(f"SELECT used FROM {CONSUMABLES} WHERE name = ?",
                                   (name,)).fetchone()
                conn.execute(f"INSERT INTO {CONSUMABLES} (name, used, replaced_at) "
                             "VALUES (?, 0, ?) ON CONFLICT(name) DO UPDATE SET used = 0, "
                             "replaced_at = excluded.replaced_at", (name, now))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._db.conn.close()


def failed(status: DeviceStatus) -> bool:
    """Is the device out of use until someone sees to it (not a citizen's doing,
    as an open cover or a card left in is)?"""
    if status.device in DOWN_STATES:
        return True
    if isinstance(status, PrinterStatus):
        return status.jammed or status.paper is Paper.OUT
    return isinstance(status, CardReaderStatus) and status.media is Media.JAMMED


class CounterFeed:
    """Counts from the devices' events (on their threads) and the journey's reports.

    A card read is a card going in (media absent or unknown → present); a
    device failure is a device going into a failed state (``failed``), once
    per edge, however many statuses follow while it stays failed; each
    printer job's end is a print (and its pages, and their paper) or a print
    failure. Statuses that were there before the feed started are not edges.
    """

    def __init__(self, counters: Counters, devices: Mapping[str, Device]) -> None:
        self.counters = counters
        self._lock = threading.Lock()
        self._media: dict[str, Media | None] = {}
        self._failed: dict[str, bool] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        for name, device in devices.items():
            with self._lock:  # the first event may come before this loop ends
                self._media[name] = getattr(device.status, "media", None)
                self._failed[name] = failed(device.status)
            self._unsubscribe.append(device.subscribe(
                lambda d, s, name=name: self._status(name, s)))
            if isinstance(device, Printer):
                self._unsubscribe.append(device.subscribe_jobs(self._job))

    def _status(self, name: str, status: DeviceStatus) -> None:
        media = getattr(status, "media", None)
        now_failed = failed(status)
        with self._lock:
            before = self._media.get(name)
            # A status that does not know the medium (pcscd restarting) says nothing
            # of the card: the last known one stands, so a card that stayed in is
            # not counted again; "unknown → present" counts only before any was known.
            if (media is not None and media is not Media.UNKNOWN) or before is None:
                self._media[name] = media
            inserted = media is Media.PRESENT and before in (Media.ABSENT, Media.UNKNOWN)
            went_down = now_failed and not self._failed.get(name, False)
            self._failed[name] = now_failed
        if inserted:
            self._add("card_reads")
        if went_down:
            self._add("device_failures")

    def _job(self, _printer: Printer, end: JobEnd) -> None:
        if end.error is None:
            self._add("prints")
            self._add("pages", end.pages)
        else:
            self._add("print_failures")

    def session_ended(self, report: SessionReport) -> None:
        """Count a finished session by its outcome (``SessionReport.outcome``)."""
        outcome = getattr(report, "outcome", "")
        if outcome in SESSION_OUTCOMES:
            self._add(f"sessions_{outcome}")
        else:
            log.warning("session outcome %r not counted", outcome)

    def _add(self, name: str, n: int = 1) -> None:
        # On a device's thread: a full disk must not stop the device's events.
        try:
            self.counters.add(name, n)
        except Exception:
            log.exception("counter %s not counted", name)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
