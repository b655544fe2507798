"""What each service's `records` (lookup) and `result` (submit) hold, per
docs/gateway.md, checked strictly so a plugin can rely on every field it reads:
a reply that breaks its shape is a GatewayProtocolError naming the field,
never its value. Extra fields are allowed (the gateway may add some).

The tests hold these against the sandbox's openapi.json: whatever a shape
accepts, the API description allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from kiosk.api.errors import GatewayProtocolError
from kiosk.api.parse import (
    APPLICATION_STATES,
    parse_datetime,
    parse_money,
    parse_text,
)

Check = Callable[[Any, str], None]
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")


def _fail(where: str, what: str) -> None:
    raise GatewayProtocolError(f"{where}: {what}")


def string(*, nonempty: bool = False, max_length: int | None = None,
           pattern: re.Pattern[str] | None = None) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str):
            _fail(where, "expected a string")
        if nonempty and not value:
            _fail(where, "empty")
        if max_length is not None and len(value) > max_length:
            _fail(where, "too long")
        if pattern is not None and not pattern.fullmatch(value):
            _fail(where, "wrong format")
    return check


def integer(minimum: int | None = None, maximum: int | None = None) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            _fail(where, "expected an integer")
        if minimum is not None and value < minimum:
            _fail(where, f"below {minimum}")
        if maximum is not None and value > maximum:
            _fail(where, f"above {maximum}")
    return check


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        _fail(where, "expected true or false")


def day(value: Any, where: str) -> None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        _fail(where, "expected a YYYY-MM-DD date")
    try:
        date.fromisoformat(value)
    except ValueError:
        _fail(where, "not a calendar date")


def moment(value: Any, where: str) -> None:
    parse_datetime(value, where)


def money(value: Any, where: str) -> None:
    parse_money(value, where)


def text(value: Any, where: str) -> None:
    parse_text(value, where)


def enum(*allowed: str) -> Check:
    def check(value: Any, where: str) -> None:
        if value not in allowed or not isinstance(value, str):
            _fail(where, "not one of the known values")
    return check


def nullable(inner: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if value is not None:
            inner(value, where)
    return check


def array(item: Check, *, min_items: int = 0) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            _fail(where, "expected a list")
        if len(value) < min_items:
            _fail(where, "too few items")
        for i, element in enumerate(value):
            item(element, f"{where}[{i}]")
    return check


class _Optional:
    def __init__(self, check: Check) -> None:
        self.check = check


def optional(check: Check) -> _Optional:
    """A field that may be missing (when there, it must pass `check`)."""
    return _Optional(check)


def obj(**fields: Check | _Optional) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            _fail(where, "expected an object")
        for name, spec in fields.items():
            if isinstance(spec, _Optional):
                if name in value:
                    spec.check(value[name], f"{where}.{name}")
            elif name not in value:
                _fail(f"{where}.{name}", "missing")
            else:
                spec(value[name], f"{where}.{name}")
    return check


ID = string(nonempty=True, max_length=64)
CURRENCY = string(pattern=_CURRENCY)
INT0 = integer(0)
OPTIONS = array(obj(id=ID, fee=money, label=text))
DEPARTMENT = enum("dsi", "ssm", "fss", "ias", "fp", "dsf", "safp", "dsaj", "ic", "dsat")
APPLICATION_STATUS = enum(*sorted(APPLICATION_STATES))
APPLICATION = obj(department=ID, service_id=ID, reference=ID,
                  submitted_on=day, title=text, status=APPLICATION_STATUS, status_text=text)
BALANCE = {"available": INT0, "value": integer(1), "currency": CURRENCY, "valid_until": day}
FAMILY = array(obj(member_id=ID, name_masked=string(), relation=text,
                   kinship_verified=boolean))
CONTRIBUTIONS = {"social_security_number": ID, "period_from": day, "period_to": day,
                 "months": INT0, "last_contribution": day,
                 "years": array(obj(year=integer(), months=INT0, amount=money))}
RECEIPT = {"receipt_number": ID, "paid": array(ID, min_items=1), "amount": money,
           "currency": CURRENCY}
DSI_APPS = ("dsi.id-renewal", "dsi.travel-document", "dsi.criminal-record",
            "dsi.personal-data-cert")
LIFE = ("fss.proof-of-life", "ias.proof-of-life", "fp.proof-of-life")

RECORDS: dict[str, Check] = {
    **dict.fromkeys(DSI_APPS, obj(options=array(obj(id=ID, fee=money, label=text), min_items=1),
                                  currency=CURRENCY, collect_place=text)),
    "dsi.contact-update": obj(phone_masked=nullable(string()), email=string(),
                              address=string()),
    "dsi.application-status": obj(applications=array(APPLICATION)),
    "dsi.card-check": obj(card_status=enum("valid", "reported_lost", "cancelled"),
                          status_text=text),
    "ssm.voucher-print": obj(**BALANCE),
    "ssm.voucher-balance": obj(**BALANCE, used=array(obj(date=day, provider=text,
                                                           amount=money))),
    "ssm.voucher-transfer": obj(**BALANCE, family=FAMILY),
    "ssm.kinship-verify": obj(family=FAMILY),
    **dict.fromkeys(LIFE, obj(beneficiary=boolean, benefit=nullable(text),
                              last_recorded_on=nullable(day), next_due=nullable(day))),
    "fss.contribution-record": obj(**CONTRIBUTIONS),
    "fss.benefit-status": obj(payments=array(obj(
        benefit=text, period=string(pattern=_PERIOD), amount=money,
        status=enum("paid", "scheduled", "suspended"), status_text=text,
        paid_on=nullable(day)))),
    "ias.allowance-status": obj(applications=array(obj(
        allowance=text, reference=ID, submitted_on=day, status=APPLICATION_STATUS,
        status_text=text))),
    "dsf.income-certificate": obj(years=array(integer(1900)), options=OPTIONS,
                                  currency=CURRENCY),
    "dsf.tax-payment": obj(bills=array(obj(bill_id=ID, tax=text, year=integer(), amount=money,
                                           due_on=day)), currency=CURRENCY),
    "dsf.wealth-partaking": obj(year=integer(), amount=money, currency=CURRENCY,
                                status=enum("paid", "scheduled", "not_eligible"),
                                status_text=text, paid_on=nullable(day), method=text),
    "safp.voter-registration": obj(registered=boolean, constituency=nullable(text),
                                   polling_station=nullable(text),
                                   voter_number=nullable(string())),
    "safp.feedback": obj(categories=array(enum("suggestion", "complaint", "praise")),
                         departments=array(DEPARTMENT)),
    "dsaj.commercial-registration": obj(
        suggestions=array(obj(registration_number=ID, company_name=text)),
        options=array(obj(id=ID, fee=money, label=text), min_items=1), currency=CURRENCY,
        registration_number=optional(ID), company_name=optional(text)),
    "dsaj.property-registration": obj(
        suggestions=array(obj(property_number=ID, property_description=text)),
        options=array(obj(id=ID, fee=money, label=text), min_items=1), currency=CURRENCY,
        property_number=optional(ID), property_description=optional(text)),
    "ic.library-loans": obj(registered=boolean, library_card_number=nullable(string()),
                            loans=array(obj(loan_id=ID, title=string(), due_on=day,
                                            renewable=boolean))),
    "ic.library-card": obj(registered=boolean, library_card_number=nullable(string())),
    "dsat.vehicle-tax": obj(vehicles=array(obj(plate=ID, kind=text, year=integer(),
                                               amount=money, due_on=day)),
                            currency=CURRENCY),
    "dsat.traffic-fines": obj(fines=array(obj(fine_id=ID, plate=ID, offence=text, date=day,
                                              amount=money, place=text)),
                              currency=CURRENCY),
}

RESULTS: dict[str, Check] = {
    **dict.fromkeys(DSI_APPS, obj(application_number=ID, collect_from=day,
                                  collect_place=text, fee=money, option=ID)),
    "dsi.contact-update": obj(updated=array(enum("phone", "email", "address"))),
    "ssm.voucher-transfer": obj(count=integer(1), member_name_masked=string(),
                                remaining=INT0),
    "ssm.kinship-verify": obj(relation=text, verified=boolean, member_name_masked=string(),
                              note=text),
    **dict.fromkeys(LIFE, obj(recorded_at=moment, next_due=day, benefit=text)),
    "fss.contribution-record": obj(verification_code=ID, **CONTRIBUTIONS),
    "dsf.income-certificate": obj(verification_code=ID, language=ID, year=integer(),
                                  income=money, tax_paid=money,
                                  employers=array(obj(name=text, income=money))),
    "dsf.tax-payment": obj(**RECEIPT),
    "safp.feedback": obj(),
    "dsaj.commercial-registration": obj(verification_code=ID, company_name=text,
                                        registration_number=ID, registered_on=day,
                                        option=ID, lines=array(text)),
    "dsaj.property-registration": obj(verification_code=ID, property_number=ID,
                                      property_description=text,
                                      owners_masked=array(string()), option=ID,
                                      lines=array(text)),
    "ic.library-loans": obj(renewed=array(obj(loan_id=ID, title=string(), due_on=day),
                                          min_items=1)),
    "ic.library-card": obj(library_card_number=ID, already_registered=boolean),
    "dsat.vehicle-tax": obj(**RECEIPT, years=array(integer())),
    "dsat.traffic-fines": obj(**RECEIPT),
}


def check_records(service_id: str, records: Any, where: str) -> None:
    """Records of a service the client knows are checked in full; of another
    (a department's newer plugin), only as an object."""
    RECORDS.get(service_id, obj())(records, where)


def check_result(service_id: str, result: Any, where: str) -> None:
    RESULTS.get(service_id, obj())(result, where)
