"""Things a citizen pays at the kiosk (tax bills, vehicle tax, traffic fines):
records with an amount that a submit marks paid, once."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments.base import Call, money


def is_open(data: dict[str, object]) -> bool:
    return not data.get("paid_by")


def open_items(call: Call, kind: str) -> list[store.Record]:
    return [r for r in call.records(kind) if is_open(r.data)]


def pay(call: Call, kind: str, records: Iterable[store.Record]) -> Decimal:
    """Mark `records` paid by this submission; the total due. 409 nothing_to_do
    for one already paid (by an earlier submission, or twice in this one)."""
    total = Decimal(0)
    seen: set[str] = set()
    for rec in records:
        if not is_open(rec.data) or rec.record_id in seen:
            raise ApiError(409, "nothing_to_do", f"a {kind} asked for is already paid")
        seen.add(rec.record_id)
        total += Decimal(str(rec.data["amount"]))
        call.put(kind, rec.record_id, {**rec.data, "paid_by": call.reference,
                                        "paid_on": call.today.isoformat()})
    return Decimal(money(total))
