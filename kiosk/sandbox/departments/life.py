"""Proof of life, as the FSS, the IAS and the Pension Fund each ask for it:
the citizen's face was checked live at the kiosk; the fund records the date
and says when the next proof is due."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments.base import Call, Outcome, Service, Text


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def beneficiary(benefit: Text, last: date) -> dict[str, Any]:
    return {"benefit": benefit, "last_recorded_on": last.isoformat(),
            "next_due": a_year_after(last).isoformat()}


def proof_of_life(service_id: str, kind: str) -> Service:
    """The service `service_id`, over the `kind` single record of beneficiaries."""

    def record_of(call: Call) -> dict[str, Any]:
        data = store.single(call.db, kind, call.card)
        if data is None:
            raise ApiError(409, "nothing_to_do",
                           "not a beneficiary here: no proof of life is due")
        return data

    def lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        data = store.single(call.db, kind, call.card)
        if data is None:
            return {"beneficiary": False, "benefit": None, "last_recorded_on": None,
                    "next_due": None}
        return {"beneficiary": True, **data}

    def submit(call: Call, form: dict[str, Any]) -> Outcome:
        data = record_of(call)
        next_due = a_year_after(call.today)
        store.put_single(call.db, kind, call.card, {
            **data, "last_recorded_on": call.today.isoformat(), "next_due": next_due.isoformat()})
        return Outcome({"recorded_at": call.now.isoformat(timespec="seconds"),
                        "next_due": next_due.isoformat(), "benefit": data["benefit"]})

    return Service(service_id, lookup, submit)
