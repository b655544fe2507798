"""行政公職局 Public Administration and Civil Service Bureau: voter
registration, suggestions and complaints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.departments.base import Call, Outcome, SeedRow, Service, T

DEPARTMENTS = ("dsi", "ssm", "fss", "ias", "fp", "dsf", "safp", "dsaj", "ic", "dsat")
CATEGORIES = ("suggestion", "complaint", "praise")
MACAO = T("澳門特別行政區", "Região Administrativa Especial de Macau", "Macao SAR")
STATIONS = {
    "C0000001": T("高士德葡文學校", "Escola Portuguesa (Avenida de Horta e Costa)",
                  "Horta e Costa Portuguese School"),
    "C0000002": T("培正中學", "Escola Secundária Pui Ching", "Pui Ching Middle School"),
    "C0000003": T("聖羅撒女子中學", "Colégio de Santa Rosa de Lima", "Santa Rosa de Lima College"),
}


def voter_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    data = store.single(call.db, "voter", call.card)
    if data is None:
        return {"registered": False, "constituency": None, "polling_station": None,
                "voter_number": None}
    return {"registered": True, **data}


def feedback_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"categories": list(CATEGORIES), "departments": list(DEPARTMENTS)}


def feedback_submit(call: Call, form: dict[str, Any]) -> Outcome:
    call.add_application(T("意見及投訴", "Opiniões e queixas", "Suggestions and complaints"),
                         "received", T("已收件", "Recebido", "Received"))
    return Outcome({}, status="accepted")


SERVICES = (
    Service("safp.voter-registration", voter_lookup),
    Service("safp.feedback", feedback_lookup, feedback_submit),
)


def seed(today: date) -> Iterator[SeedRow]:
    for n, (card, station) in enumerate(STATIONS.items(), 1):
        yield ("voter", card, f"voter:{card}", {
            "constituency": MACAO, "polling_station": station, "voter_number": f"V{n:07d}"})
