"""What a department module declares and what its handlers get.

A department module holds its demo records (`seed`) and its services
(`SERVICES`): each a lookup, maybe a submit, and whether it needs a second
factor. Handlers run inside the request's write transaction: raising ApiError
undoes everything they wrote.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlite_utils import Database

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError, Context
from kiosk.sandbox.db import Citizen

CURRENCY = "MOP"
# The autopilot demo runs every service with this card, maybe several times in
# one sandbox run: when it has paid, renewed or used up the last of something,
# the sandbox gives it fresh demo records instead of an empty list.
EVERGREEN = frozenset({"C0000001"})

SeedRow = tuple[str, str, str, dict[str, Any]]  # kind, card number, record id, data
Text = dict[str, str]


def T(zh: str, pt: str, en: str) -> Text:
    """A department-supplied text in the kiosk's three languages."""
    return {"zh-Hant": zh, "pt": pt, "en": en}


def money(value: Decimal | int | str) -> str:
    return f"{Decimal(value):.2f}"


def mask_name(name_zh: str) -> str:
    """陳小明 -> 陳*明: enough for the holder to recognise, not to identify."""
    if len(name_zh) <= 1:
        return name_zh
    if len(name_zh) == 2:
        return name_zh[0] + "*"
    return name_zh[0] + "*" * (len(name_zh) - 2) + name_zh[-1]


def mask_phone(phone: str) -> str:
    """+853 6612 3401 -> +853 **** **01: the holder knows which phone, no one else."""
    head, sep, _ = phone.partition(" ")
    prefix = head + " " if sep and head.startswith("+") else ""
    return f"{prefix}**** **{phone.replace(' ', '')[-2:]}"


def verification_code() -> str:
    """Like 7F3K-92QD-M4XA: no 0/O or 1/I to misread."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


@dataclass(frozen=True)
class Call:
    """One lookup or submit of one citizen, inside its write transaction."""

    ctx: Context
    db: Database
    citizen: Citizen
    service_id: str
    reference: str = ""  # submit only: the submission's reference

    @property
    def card(self) -> str:
        return self.citizen.card_number

    @property
    def today(self) -> date:
        return self.ctx.today()

    @property
    def now(self) -> datetime:
        return self.ctx.now()

    @property
    def evergreen(self) -> bool:
        return self.card in EVERGREEN

    def records(self, kind: str) -> list[store.Record]:
        return store.records(self.db, kind, self.card)

    def record(self, kind: str, record_id: str) -> store.Record:
        found = store.record(self.db, kind, self.card, record_id)
        if found is None:
            raise ApiError(404, "not_found", f"no such {kind} for this citizen")
        return found

    def put(self, kind: str, record_id: str, data: dict[str, Any], position: int = 0) -> None:
        store.put(self.db, kind, self.card, record_id, data, position)

    def add_application(self, title: Text, status: str, status_text: Text) -> None:
        """Make this submission show in the cross-department progress query."""
        self.put("application", self.reference, {
            "department": self.service_id.split(".")[0],
            "service_id": self.service_id,
            "reference": self.reference,
            "submitted_on": self.today.isoformat(),
            "title": title,
            "status": status,
            "status_text": status_text,
        }, position=_position(self.now))


def _position(now: datetime) -> int:
    # Later submissions list after the seeded ones, in order.
    return 1_000_000 + int(now.timestamp())


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    status: str = "completed"  # or "accepted": received, to be processed later
    due: Decimal = Decimal(0)  # what the citizen must have paid for this submit


Lookup = Callable[[Call, dict[str, Any]], dict[str, Any]]
Submit = Callable[[Call, dict[str, Any]], Outcome]


@dataclass(frozen=True)
class Service:
    service_id: str
    lookup: Lookup
    submit: Submit | None = None
    second_factor: bool = False
    options: tuple[dict[str, Any], ...] = field(default=())


def option(options: tuple[dict[str, Any], ...], chosen: str | None) -> dict[str, Any]:
    """The chosen option (the first if none was named); 400 if there is no such option."""
    if chosen is None:
        return options[0]
    for candidate in options:
        if candidate["id"] == chosen:
            return candidate
    raise ApiError(400, "invalid_request", "$.form.option: not one of the offered options")


def working_days_after(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def replenish(call: Call, kind: str, fresh: Callable[[], Iterator[tuple[str, dict[str, Any]]]],
              still_open: Callable[[dict[str, Any]], bool]) -> None:
    """For the evergreen demo card: if nothing of `kind` is open any more,
    add fresh records (new ids), so a demo run finds something to do."""
    if not call.evergreen:
        return
    if any(still_open(r.data) for r in call.records(kind)):
        return
    for n, (record_id, data) in enumerate(fresh()):
        call.put(kind, record_id, data, position=_position(call.now) + n)
