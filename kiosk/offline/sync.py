"""The sync worker: delivers the outbox to the gateway, off the UI thread.

One item per department at a time, oldest first (the outbox only ever offers a
department's head), so a department receives its transactions in the order the
kiosk took them. Departments do not wait for each other: one that is down backs
off alone.

A transient failure (gateway unreachable, 5xx, the department down) puts the
item back with exponential backoff and full jitter (a random wait between 0 and
``min(cap_s, base_s * 2**(attempts-1))``, so kiosks coming back together do not
all knock at once), or exactly the Retry-After the error carries. The same
idempotency key goes with every attempt, so an attempt whose reply was lost is
answered by the gateway's replay, never applied twice.

A permanent failure (the gateway refused the request: not a beneficiary, a
conflict, a bad form) stops that item: it is moved to the dead letters with the
error, for a technician to retry or drop (``kiosk queue``). The department's
next item then goes ahead. Why not hold the line behind it: the items of a
department are separate transactions, mostly of different citizens, and the
refused one will be refused again however long the others wait; holding them
would turn one bad transaction into a department's whole queue going undelivered
until someone comes by, while what order protects (one citizen's steps in
sequence) is not served by delivering nothing. Transient failures do hold the
line: there the head will go through, and the items behind it must not overtake it.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.offline.outbox import Outbox, OutboxItem, OutboxStateError
from kiosk.offline.sealed import SealError

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 3600.0


class TransientDeliveryError(Exception):
    """Try again later (with the same key); ``retry_after_s`` if the gateway said when.
    The message is stored and shown to technicians: never put personal data in it."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(Exception):
    """The gateway refused the item for good: it goes to the dead letters.
    The message is stored and shown to technicians: never put personal data in it."""


# (item, its opened payload) -> the gateway's answer (its `reference`, if any, is kept).
Deliver = Callable[[OutboxItem, dict[str, Any]], object]


def full_jitter(ceiling: float) -> float:
    return random.uniform(0.0, ceiling)


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery attempt (nothing personal)."""

    item_id: int
    service_id: str
    department: str
    result: str  # delivered | retry | dead
    error: str = ""
    retry_at: float | None = None
    reference: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.item_id, "service_id": self.service_id,
                "department": self.department, "result": self.result, "error": self.error,
                "retry_at": self.retry_at, "reference": self.reference}


@dataclass
class FlushReport:
    outcomes: list[Outcome] = field(default_factory=list)
    pending: int = 0  # still waiting after the flush
    dead: int = 0  # dead letters in the outbox after the flush

    def ids(self, result: str) -> list[int]:
        return [o.item_id for o in self.outcomes if o.result == result]

    @property
    def delivered(self) -> list[int]:
        return self.ids("delivered")

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "retry": self.ids("retry"),
                "died": self.ids("dead"), "pending": self.pending, "dead": self.dead,
                "outcomes": [o.to_json() for o in self.outcomes]}


class SyncWorker:
    """Delivers due items on its own thread (``start``/``stop``), or now (``flush``).

    ``clock`` gives the time the outbox schedules by (give both the same);
    ``wait(event, timeout)`` is how the thread idles until woken or due;
    ``jitter(ceiling)`` draws the backoff (``full_jitter``: uniform in [0, ceiling]);
    ``on_outcome`` hears of every attempt, on the worker's thread.
    """

    def __init__(self, outbox: Outbox, deliver: Deliver, *, base_s: float = 1.0,
                 cap_s: float = 300.0, jitter: Callable[[float], float] = full_jitter,
                 clock: Callable[[], float] = time.time,
                 wait: Callable[[threading.Event, float], object] | None = None,
                 idle_s: float = 60.0,
                 on_outcome: Callable[[Outcome], None] | None = None) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError("need 0 < base_s <= cap_s")
        self.outbox = outbox
        self._deliver = deliver
        self.base_s = base_s
        self.cap_s = cap_s
        self._jitter = jitter
        self._clock = clock
        self._wait = wait or (lambda event, timeout: event.wait(timeout))
        self.idle_s = idle_s
        self._on_outcome = on_outcome
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pass = threading.Lock()  # the thread and flush() never deliver at once
        self._thread: threading.Thread | None = None

    # --- the thread -------------------------------------------------------------

    def start(self) -> SyncWorker:
        if self._thread is not None:
            raise RuntimeError("sync worker already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-outbox-sync", daemon=True)
        self._thread.start()
        return self

    def wake(self, *, retry_now: bool = False) -> None:
        """Look for due items now; ``retry_now`` also ends every backoff wait
        (connectivity came back, so the reasons for waiting are gone)."""
        if retry_now:
            self.outbox.make_due(self._clock())
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Finish the delivery in hand, then stop (an item cut off by a stop
        that does not come is resumed at the next open)."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if self.run_once():
                    continue  # the next items in line may be due already
                wakeup = self.outbox.next_wakeup()
                timeout = self.idle_s if wakeup is None else wakeup - self._clock()
            except Exception as e:  # the database went away, a bug: log, back off, go on
                log.error("outbox sync pass failed: %s", type(e).__name__)
                timeout = self.idle_s
            if not self._stopping.is_set():
                self._wait(self._wake, min(max(timeout, 0.0), self.idle_s))

    # --- delivering -------------------------------------------------------------

    def run_once(self, now: float | None = None) -> list[Outcome]:
        """One attempt at each department's head that is due by ``now``."""
        with self._pass:
            return [self._attempt(i) for i in self.outbox.next_due(
                self._clock() if now is None else now) if not self._stopping.is_set()]

    def flush(self, *, force: bool = False) -> FlushReport:
        """Deliver everything due now, department by department, until each
        line is empty or its head failed; ``force`` ignores backoff waits (a
        technician's "now"). Runs on the caller's thread."""
        report = FlushReport()
        halted: set[str] = set()  # departments whose head failed in this flush
        with self._pass:
            while True:
                due = [i for i in self.outbox.next_due(math.inf if force else self._clock())
                       if i.department not in halted]
                if not due:
                    break
                for item in due:
                    outcome = self._attempt(item)
                    report.outcomes.append(outcome)
                    if outcome.result in ("retry", "skipped"):
                        halted.add(item.department)
        counts = self.outbox.status().counts
        report.pending = counts["pending"] + counts["delivering"]
        report.dead = counts["dead"]
        return report

    def backoff_s(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failed attempt, jitter drawn."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0))
        return min(max(self._jitter(ceiling), 0.0), ceiling)

    def _attempt(self, head: OutboxItem) -> Outcome:
        item = self.outbox.claim(head.id)
        if item is None:  # taken by another worker, or moved meanwhile
            return Outcome(head.id, head.service_id, head.department, "skipped")
        try:
            payload = self.outbox.payload(item.id)
        except (SealError, ValueError, OutboxStateError) as e:
            return self._dead(item, f"payload unreadable: {type(e).__name__}")
        try:
            result = self._deliver(item, payload)
        except PermanentDeliveryError as e:
            return self._dead(item, str(e) or type(e).__name__)
        except TransientDeliveryError as e:
            return self._retry(item, str(e) or type(e).__name__, e.retry_after_s)
        except Exception as e:  # a bug or an unmapped error: keep the item, try later
            return self._retry(item, f"unexpected {type(e).__name__}", None)
        finally:
            payload.clear()  # personal data: drop our copy as soon as it was sent
        reference = _reference(result)
        try:
            self.outbox.delivered(item.id, reference)
        except OutboxStateError:  # another worker (a technician's flush) settled it
            return Outcome(item.id, item.service_id, item.department, "skipped")
        log.info("outbox item %d (%s) delivered after %d attempt(s)", item.id,
                 item.service_id, item.attempts)
        return self._tell(Outcome(item.id, item.service_id, item.department, "delivered",
                                  reference=reference))

    def _retry(self, item: OutboxItem, error: str, retry_after_s: float | None) -> Outcome:
        delay = (self.backoff_s(item.attempts) if retry_after_s is None
                 else min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S))
        retry_at = self._clock() + delay
        try:
            self.outbox.failed(item.id, error, retry_at)
        except OutboxStateError:
            return Outcome(item.id, item.service_id, item.department, "skipped")
        log.warning("outbox item %d (%s) attempt %d failed: %s; again in %.1fs", item.id,
                    item.service_id, item.attempts, error, delay)
        return self._tell(Outcome(item.id, item.service_id, item.department, "retry", error,
                                  retry_at))

    def _dead(self, item: OutboxItem, error: str) -> Outcome:
        try:
            self.outbox.dead(item.id, error)
        except OutboxStateError:
            return Outcome(item.id, item.service_id, item.department, "skipped")
        log.error("outbox item %d (%s) refused for good: %s; in the dead letters", item.id,
                  item.service_id, error)
        return self._tell(Outcome(item.id, item.service_id, item.department, "dead", error))

    def _tell(self, outcome: Outcome) -> Outcome:
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception as e:
                log.error("outbox outcome listener failed: %s", type(e).__name__)
        return outcome


def _reference(result: object) -> str:
    ref = result.get("reference") if isinstance(result, Mapping) else getattr(
        result, "reference", None)
    return ref if isinstance(ref, str) else ""
