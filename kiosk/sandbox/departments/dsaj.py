"""法務局 Legal Affairs Bureau: commercial and property registration
certificates. The registries are public: anyone may ask for any entry by its
number; a citizen's own entries are offered as suggestions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments.base import (
    CURRENCY,
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    mask_name,
    option,
    verification_code,
)

COMMERCIAL_OPTIONS = (
    {"id": "full", "fee": "200.00",
     "label": T("全部登記證明", "Certidão de teor integral", "Full registration certificate")},
    {"id": "current", "fee": "100.00",
     "label": T("現行登記證明", "Certidão de registos em vigor", "Certificate of current entries")},
)
PROPERTY_OPTIONS = (
    {"id": "full", "fee": "150.00",
     "label": T("物業登記證明", "Certidão do registo predial",
                "Property registration certificate")},
)
COMPANIES: dict[str, dict[str, Any]] = {
    "12345(SO)": {"name": T("陳氏貿易有限公司", "Companhia de Comércio Chan, Limitada",
                            "Chan Trading Company Limited"),
                  "registered_on": "2003-06-18", "partners": ("陳大文", "李秀英"),
                  "capital": "100000.00", "office": T("澳門高士德大馬路 25 號地下",
                                                      "Avenida de Horta e Costa, 25, r/c",
                                                      "25 Avenida de Horta e Costa, ground floor")},
    "67890(SO)": {"name": T("濠江餐飲有限公司", "Restauração Hou Kong, Limitada",
                            "Hou Kong Catering Limited"),
                  "registered_on": "2015-02-03", "partners": ("黃志強",),
                  "capital": "25000.00", "office": T("氹仔官也街 12 號", "Rua do Cunha, 12, Taipa",
                                                     "12 Rua do Cunha, Taipa")},
}
PROPERTIES: dict[str, dict[str, Any]] = {
    "22001": {"description": T("澳門高士德大馬路 25 號 3 樓 B 座", "Avenida de Horta e Costa, 25, "
                               "3.º andar B", "25 Avenida de Horta e Costa, 3rd floor B"),
              "owners": ("陳大文", "李秀英"), "area_m2": 68, "registered_on": "1998-11-20"},
    "22002": {"description": T("澳門高士德大馬路 25 號地下 C 舖", "Avenida de Horta e Costa, 25, "
                               "r/c, loja C", "25 Avenida de Horta e Costa, shop C"),
              "owners": ("陳大文",), "area_m2": 41, "registered_on": "2003-06-02"},
    "37450": {"description": T("氹仔孫逸仙博士大馬路 300 號 8 樓 F", "Avenida Dr. Sun Yat-Sen, "
                               "300, 8.º F, Taipa", "300 Avenida Dr. Sun Yat-Sen, 8F, Taipa"),
              "owners": ("黃志強",), "area_m2": 55, "registered_on": "2012-09-14"},
}
NAMES = {"C0000001": "陳大文", "C0000004": "黃志強"}


def normalise(number: str) -> str:
    """'12345 so', '12345(SO)' and '12345 (SO)' are one registration number."""
    return re.sub(r"\s+", "", number).upper()


def _company(number: str) -> tuple[str, dict[str, Any]]:
    key = normalise(number)
    if key not in COMPANIES:
        raise ApiError(404, "not_found", "no company with this registration number")
    return key, COMPANIES[key]


def _property(number: str) -> tuple[str, dict[str, Any]]:
    key = normalise(number)
    if key not in PROPERTIES:
        raise ApiError(404, "not_found", "no property with this number")
    return key, PROPERTIES[key]


def _registry_lookup(call: Call, params: dict[str, Any], *, entries: dict[str, dict[str, Any]],
                     find: Callable[[str], tuple[str, dict[str, Any]]], number: str,
                     found: str, found_field: str, party_field: str,
                     options: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """A registry's lookup: the entries the citizen is party to (offered, so nobody
    has to know a number by heart), the fees, and the entry asked for, if any."""
    name = NAMES.get(call.card)
    records: dict[str, Any] = {
        "suggestions": [{number: k, found: v[found_field]}
                        for k, v in entries.items() if name in v[party_field]],
        "options": list(options), "currency": CURRENCY}
    if params.get(number):
        key, entry = find(params[number])
        records.update({number: key, found: entry[found_field]})
    return records


def commercial_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _registry_lookup(call, params, entries=COMPANIES, find=_company,
                            number="registration_number", found="company_name",
                            found_field="name", party_field="partners",
                            options=COMMERCIAL_OPTIONS)


def commercial_submit(call: Call, form: dict[str, Any]) -> Outcome:
    key, company = _company(form["registration_number"])
    chosen = option(COMMERCIAL_OPTIONS, form.get("option"))
    lines = [
        T(f"資本：澳門元 {company['capital']}", f"Capital: MOP {company['capital']}",
          f"Capital: MOP {company['capital']}"),
        T(f"住所：{company['office']['zh-Hant']}", f"Sede: {company['office']['pt']}",
          f"Registered office: {company['office']['en']}"),
        T(f"股東人數：{len(company['partners'])}", f"Sócios: {len(company['partners'])}",
          f"Partners: {len(company['partners'])}"),
    ]
    return Outcome({"verification_code": verification_code(), "company_name": company["name"],
                    "registration_number": key, "registered_on": company["registered_on"],
                    "option": chosen["id"], "lines": lines}, due=Decimal(chosen["fee"]))


def property_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _registry_lookup(call, params, entries=PROPERTIES, find=_property,
                            number="property_number", found="property_description",
                            found_field="description", party_field="owners",
                            options=PROPERTY_OPTIONS)


def property_submit(call: Call, form: dict[str, Any]) -> Outcome:
    key, prop = _property(form["property_number"])
    chosen = option(PROPERTY_OPTIONS, form.get("option"))
    lines = [
        T(f"標示編號：{key}", f"Descrição n.º {key}", f"Description no. {key}"),
        T(f"面積：{prop['area_m2']} 平方米", f"Área: {prop['area_m2']} m²",
          f"Area: {prop['area_m2']} m²"),
        T(f"登記日期：{prop['registered_on']}", f"Data de inscrição: {prop['registered_on']}",
          f"Registered on: {prop['registered_on']}"),
        T("無抵押登記", "Sem hipotecas registadas", "No mortgage registered"),
    ]
    return Outcome({"verification_code": verification_code(), "property_number": key,
                    "property_description": prop["description"],
                    "owners_masked": [mask_name(o) for o in prop["owners"]],
                    "option": chosen["id"], "lines": lines}, due=Decimal(chosen["fee"]))


SERVICES = (
    Service("dsaj.commercial-registration", commercial_lookup, commercial_submit,
            options=COMMERCIAL_OPTIONS),
    Service("dsaj.property-registration", property_lookup, property_submit,
            options=PROPERTY_OPTIONS),
)


def seed(today: date) -> Iterator[SeedRow]:
    return iter(())  # the registries are constant demo data
