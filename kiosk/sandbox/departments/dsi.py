"""身份證明局 Identification Services Bureau: ID card, travel documents,
certificates (applications with a fee, collected later), contact details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.departments.base import (
    CURRENCY,
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    Text,
    mask_phone,
    option,
    working_days_after,
)

COLLECT_PLACE = T(
    "身份證明局總部（南灣大馬路 762-804 號中華廣場 20 樓）",
    "Sede da DSI (Avenida da Praia Grande, 762-804, Edifício China Plaza, 20.º andar)",
    "DSI headquarters (762-804 Avenida da Praia Grande, China Plaza, 20th floor)",
)
RECEIVED = T("已收件", "Pedido recebido", "Application received")

CONTACTS = {
    "C0000001": ("chan.taiman@example.mo", "澳門高士德大馬路 25 號 3 樓 B"),
    "C0000002": ("meileng.lei@example.mo", "Rua de Pequim, 126, 12.º andar A, Macau"),
    "C0000003": ("", "Travessa do Padre Narciso, 8, r/c, Macau"),
    "C0000004": ("ck.wong@example.mo", "氹仔孫逸仙博士大馬路 300 號 8 樓 F"),
}


def contact(call_db: Any, card: str) -> dict[str, str]:
    data = store.single(call_db, "contact", card)
    if data is None:  # a citizen seeded before contacts existed
        return {"phone": "", "email": "", "address": ""}
    return data


def _opt(id_: str, fee: str, days: int, label: Text) -> dict[str, Any]:
    return {"id": id_, "fee": fee, "label": label, "working_days": days}


APPLICATIONS: dict[str, tuple[Text, tuple[dict[str, Any], ...]]] = {
    "dsi.id-renewal": (
        T("居民身份證續期", "Renovação do BIR", "Renewal of the resident identity card"),
        (_opt("standard", "110.00", 10, T("普通（10 個工作日）", "Normal (10 dias úteis)",
                                         "Standard (10 working days)")),
         _opt("express", "220.00", 3, T("特快（3 個工作日）", "Urgente (3 dias úteis)",
                                       "Express (3 working days)"))),
    ),
    "dsi.travel-document": (
        T("特區旅行證件申請", "Pedido de documento de viagem", "Travel document application"),
        (_opt("passport", "270.00", 15, T("特區護照", "Passaporte da RAEM", "SAR passport")),
         _opt("travel-permit", "180.00", 10, T("特區旅行證", "Título de viagem da RAEM",
                                              "SAR travel permit"))),
    ),
    "dsi.criminal-record": (
        T("刑事紀錄證明書申請", "Pedido de certificado de registo criminal",
          "Criminal record certificate application"),
        (_opt("local", "30.00", 3, T("本地用途", "Para uso local", "For use in Macao")),
         _opt("abroad", "60.00", 5, T("外地用途（附認證）", "Para uso no exterior (autenticado)",
                                      "For use abroad (authenticated)"))),
    ),
    "dsi.personal-data-cert": (
        T("個人資料證明書申請", "Pedido de certificado de dados pessoais",
          "Personal data certificate application"),
        (_opt("residence", "35.00", 3, T("居留資料證明", "Certificado de residência",
                                        "Residence certificate")),
         _opt("identity", "35.00", 3, T("身份資料證明", "Certificado de identificação",
                                       "Identification certificate"))),
    ),
}


def _public(opt: dict[str, Any]) -> dict[str, Any]:
    return {k: opt[k] for k in ("id", "fee", "label")}


def application(service_id: str) -> Service:
    title, options = APPLICATIONS[service_id]

    def lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"options": [_public(o) for o in options], "currency": CURRENCY,
                "collect_place": COLLECT_PLACE}

    def submit(call: Call, form: dict[str, Any]) -> Outcome:
        chosen = option(options, form.get("option"))
        collect_from = working_days_after(call.today, chosen["working_days"])
        call.add_application(title, "received", RECEIVED)
        return Outcome(
            {"application_number": call.reference, "collect_from": collect_from.isoformat(),
             "collect_place": COLLECT_PLACE, "fee": chosen["fee"], "option": chosen["id"]},
            status="accepted", due=Decimal(chosen["fee"]))

    return Service(service_id, lookup, submit, options=options)


def contact_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    data = contact(call.db, call.card)
    return {"phone_masked": mask_phone(data["phone"]) if data["phone"] else None,
            "email": data["email"], "address": data["address"]}


def contact_submit(call: Call, form: dict[str, Any]) -> Outcome:
    data = contact(call.db, call.card)
    updated = [name for name in ("phone", "email", "address")
               if name in form and form[name] != data[name]]
    store.put_single(call.db, "contact", call.card, {**data, **form})
    return Outcome({"updated": updated})


def progress_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    from kiosk.sandbox.common.progress import applications

    return {"applications": applications(call.db, call.card)}


def card_check_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    # What the kiosk cannot see on the chip: whether the card was reported lost.
    return {"card_status": "valid",
            "status_text": T("有效，未報失", "Válido, sem participação de perda",
                             "Valid, not reported lost")}


SERVICES = (
    *(application(sid) for sid in APPLICATIONS),
    Service("dsi.contact-update", contact_lookup, contact_submit, second_factor=True),
    Service("dsi.application-status", progress_lookup),
    Service("dsi.card-check", card_check_lookup),
)


def seed(today: date) -> Iterator[SeedRow]:
    for c in DEMO_CITIZENS:
        email, address = CONTACTS.get(c.card_number, ("", ""))
        yield ("contact", c.card_number, f"contact:{c.card_number}",
               {"phone": c.phone, "email": email, "address": address})
    yield ("application", "C0000001", "DSI-SEED-000101", {
        "department": "dsi", "service_id": "dsi.travel-document",
        "reference": "DSI-SEED-000101", "submitted_on": (today - timedelta(days=12)).isoformat(),
        "title": APPLICATIONS["dsi.travel-document"][0], "status": "ready",
        "status_text": T("可領取", "Pronto para levantamento", "Ready for collection"),
    })

