"""What the outbox tests share: real payloads for queueable services of the demo
citizen C0000001, a clock the tests move, and the sandbox's journal read back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from kiosk.offline.keys import load_or_create_key
from kiosk.offline.outbox import Outbox, OutboxItem
from kiosk.offline.sealed import Sealer
from kiosk.offline.store import open_state

CARD, ID_NUMBER = "C0000001", "5215299(8)"
FEEDBACK_TEXT = "Mais bancos na sala de espera, por favor"
LIFE = {"face_verified": True, "liveness": True}
# The queueable services of issue 7 with a form the sandbox takes, any number of times.
FORMS: dict[str, dict[str, Any]] = {
    "fss.proof-of-life": LIFE,
    "ias.proof-of-life": LIFE,
    "fp.proof-of-life": LIFE,
    "safp.feedback": {"category": "suggestion", "department": "ssm", "text": FEEDBACK_TEXT},
    "ic.library-card": {"email": "chan.taiman@example.mo"},
}
SERVICES = tuple(FORMS)


def payload(service_id: str, card: str = CARD, id_number: str = ID_NUMBER) -> dict[str, Any]:
    return {"service_id": service_id, "card_number": card, "id_number": id_number,
            "form": dict(FORMS[service_id])}


def enqueue(box: Outbox, service_id: str, key: str, card: str = CARD,
            id_number: str = ID_NUMBER) -> OutboxItem:
    return box.enqueue(service_id=service_id, department=service_id.split(".")[0],
                       idempotency_key=key, payload=payload(service_id, card, id_number),
                       summary={"service_id": service_id, "queued_by": "test"})


def open_outbox(home: Path, **kwargs: Any) -> Outbox:
    """The terminal's outbox under ``home``, as kiosk.app opens it."""
    key = load_or_create_key(home / "keys" / "data.key")
    return Outbox(open_state(home / "state" / "terminal.db"), Sealer(key), **kwargs)


class Clock:
    """Time the test moves; never the wall clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def journal(url: str) -> list[dict[str, Any]]:
    """GET /_sandbox/transactions: every accepted state change, replays flagged."""
    reply = requests.get(f"{url}/_sandbox/transactions", timeout=10)
    reply.raise_for_status()
    return [t for t in reply.json() if t["path"] == "/v1/services/submit"]


def applied(url: str) -> dict[str, int]:
    """How many times the gateway applied each idempotency key (replays not counted)."""
    counts: dict[str, int] = {}
    for t in journal(url):
        if not t["replayed"]:
            counts[t["idempotency_key"]] = counts.get(t["idempotency_key"], 0) + 1
    return counts


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Until ``condition()`` holds (checked every few ms), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        tick.wait(0.005)
