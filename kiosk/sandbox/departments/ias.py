"""社會工作局 Social Welfare Bureau: proof of life, allowance applications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.sandbox.departments.base import Call, SeedRow, Service, T
from kiosk.sandbox.departments.life import beneficiary, proof_of_life

SENIOR = T("敬老金", "Subsídio para idosos", "Senior citizens' allowance")
HOUSEHOLD = T("經濟援助", "Apoio económico", "Financial assistance")
CARER = T("照顧者津貼", "Subsídio para cuidadores", "Carer allowance")
STATUS = {
    "approved": T("已批准", "Aprovado", "Approved"),
    "processing": T("審批中", "Em apreciação", "Under review"),
    "received": T("已收件", "Recebido", "Received"),
}


def allowance_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"applications": [
        {"allowance": r.data["title"], "reference": r.data["reference"],
         "submitted_on": r.data["submitted_on"], "status": r.data["status"],
         "status_text": r.data["status_text"]}
        for r in call.records("application") if r.data["department"] == "ias"]}


SERVICES = (
    proof_of_life("ias.proof-of-life", "ias_beneficiary"),
    Service("ias.allowance-status", allowance_lookup),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card in ("C0000001", "C0000003"):
        yield ("ias_beneficiary", card, f"ias_beneficiary:{card}",
               beneficiary(SENIOR, today - timedelta(days=330)))
    apps = {"C0000001": (("IAS-SEED-000201", SENIOR, 400, "approved"),
                         ("IAS-SEED-000202", HOUSEHOLD, 9, "processing")),
            "C0000002": (("IAS-SEED-000203", CARER, 3, "received"),),
            "C0000003": (("IAS-SEED-000204", SENIOR, 800, "approved"),)}
    for card, rows in apps.items():
        for reference, allowance, days, status in rows:
            yield ("application", card, reference, {
                "department": "ias", "service_id": "ias.allowance-status",
                "reference": reference, "submitted_on": (today - timedelta(days=days)).isoformat(),
                "title": allowance, "status": status, "status_text": STATUS[status]})
