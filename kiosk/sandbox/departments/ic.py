"""文化局 Cultural Affairs Bureau: public library membership and loans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments.base import Call, Outcome, SeedRow, Service, replenish

MAX_RENEWALS = 2
LOAN_DAYS = 21
MEMBERS = {"C0000001": "LIB20150031", "C0000003": "LIB20090412"}
BOOKS = {  # card: (title, days until due)
    "C0000001": (("澳門歷史建築圖錄", 5), ("A Cidade do Nome de Deus", 12),
                 ("Macau: A Cultural Guide", 19)),
    "C0000003": (("Os Macaenses", 8),),
}


def _renewable(data: dict[str, Any]) -> bool:
    return not data.get("returned") and data["renewals"] < MAX_RENEWALS


def _loan(loan_id: str, title: str, due: date) -> dict[str, Any]:
    return {"loan_id": loan_id, "title": title, "due_on": due.isoformat(), "renewals": 0}


def _fresh_loans(call: Call) -> Iterator[tuple[str, dict[str, Any]]]:
    # The evergreen card returned its books and borrowed them again.
    for rec in call.records("loan"):
        call.put("loan", rec.record_id, {**rec.data, "returned": True})
    for title, days in BOOKS[call.card]:
        loan_id = store.new_id("LN")
        yield loan_id, _loan(loan_id, title, call.today + timedelta(days=days))


def member(call: Call) -> dict[str, Any] | None:
    return store.single(call.db, "library_member", call.card)


def loans_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    found = member(call)
    if found is None:
        return {"registered": False, "library_card_number": None, "loans": []}
    if call.card in BOOKS:
        replenish(call, "loan", lambda: _fresh_loans(call), _renewable)
    loans = [{"loan_id": r.data["loan_id"], "title": r.data["title"],
              "due_on": r.data["due_on"], "renewable": _renewable(r.data)}
             for r in call.records("loan") if not r.data.get("returned")]
    return {"registered": True, "library_card_number": found["library_card_number"],
            "loans": loans}


def loans_submit(call: Call, form: dict[str, Any]) -> Outcome:
    if member(call) is None:
        raise ApiError(409, "conflict", "not registered with the public library")
    renewed = []
    for loan_id in form["loan_ids"]:
        rec = call.record("loan", loan_id)
        if not _renewable(rec.data):
            raise ApiError(409, "conflict", "a loan asked for cannot be renewed again")
        due = max(date.fromisoformat(rec.data["due_on"]), call.today) + timedelta(days=LOAN_DAYS)
        call.put("loan", loan_id, {**rec.data, "due_on": due.isoformat(),
                                   "renewals": rec.data["renewals"] + 1})
        renewed.append({"loan_id": loan_id, "title": rec.data["title"],
                        "due_on": due.isoformat()})
    return Outcome({"renewed": renewed})


def card_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    found = member(call)
    return {"registered": found is not None,
            "library_card_number": None if found is None else found["library_card_number"]}


def card_submit(call: Call, form: dict[str, Any]) -> Outcome:
    found = member(call)
    # Registering again keeps the card number and takes the new contact details.
    number = found["library_card_number"] if found else store.new_id("LIB", 8)
    store.put_single(call.db, "library_member", call.card, {
        "library_card_number": number, "phone": form.get("phone", ""),
        "email": form.get("email", ""),
        "registered_on": found["registered_on"] if found else call.today.isoformat()})
    return Outcome({"library_card_number": number, "already_registered": found is not None})


SERVICES = (
    Service("ic.library-loans", loans_lookup, loans_submit),
    Service("ic.library-card", card_lookup, card_submit),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card, number in MEMBERS.items():
        yield ("library_member", card, f"library_member:{card}", {
            "library_card_number": number, "phone": "", "email": "",
            "registered_on": "2015-03-02"})
    for card, books in BOOKS.items():
        for n, (title, days) in enumerate(books, 1):
            loan_id = f"LN{card[-2:]}{n:06d}"
            yield ("loan", card, loan_id, _loan(loan_id, title, today + timedelta(days=days)))
