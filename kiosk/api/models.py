"""The gateway's replies as frozen dataclasses, parsed strictly.

`from_json` accepts any decoded JSON and either returns a valid model or
raises GatewayProtocolError naming the field at fault, never its value: a
value may be a name or an ID number. Unknown extra fields are ignored, so the
gateway may add fields without breaking deployed kiosks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from kiosk.api import shapes
from kiosk.api.errors import GatewayProtocolError
from kiosk.api.parse import (
    APPLICATION_STATES,
    LANGUAGES,
    PAYMENT_STATES,
    SUBMISSION_STATES,
    as_object,
    boolean,
    currency,
    day,
    field,
    identifier,
    integer,
    money,
    money_text,
    one_of,
    optional_string,
    parse_datetime,
    parse_text,
    string,
)

_SERIAL = re.compile(r"[0-9]{12}")
# What the payment screen can show as a QR code that every wallet reads back the
# same: printable ASCII (a QR code of other text carries no ECI, and scanners
# guess its encoding), at most 512 characters (an EMV merchant-presented code's
# limit; a URL is far shorter), which always fits a QR code at level M.
_QR_PAYLOAD = re.compile(r"[ -~]{1,512}")

@dataclass(frozen=True)
class Holder:
    name_zh: str
    name_latin: str

    @classmethod
    def from_json(cls, obj: Any, where: str = "Holder") -> Self:
        o = as_object(obj, where)
        return cls(name_zh=string(o, "name_zh", where), name_latin=string(o, "name_latin", where))


@dataclass(frozen=True)
class VoucherBalance:
    holder: Holder
    available: int
    value: int  # of one voucher
    currency: str
    valid_until: date

    @classmethod
    def from_json(cls, obj: Any, where: str = "VoucherBalance") -> Self:
        o = as_object(obj, where)
        return cls(
            holder=Holder.from_json(field(o, "holder", where), f"{where}.holder"),
            available=integer(o, "available", where, minimum=0),
            value=integer(o, "value", where, minimum=1),
            currency=currency(o, "currency", where),
            valid_until=day(o, "valid_until", where),
        )


@dataclass(frozen=True)
class Voucher:
    serial: str
    value: int
    currency: str
    valid_from: date
    valid_until: date

    @classmethod
    def from_json(cls, obj: Any, where: str = "Voucher") -> Self:
        o = as_object(obj, where)
        serial = string(o, "serial", where)
        if not _SERIAL.fullmatch(serial):
            raise GatewayProtocolError(f"{where}.serial: expected 12 digits")
        valid_from = day(o, "valid_from", where)
        valid_until = day(o, "valid_until", where)
        if valid_until < valid_from:
            raise GatewayProtocolError(f"{where}.valid_until: before valid_from")
        return cls(
            serial=serial,
            value=integer(o, "value", where, minimum=1),
            currency=currency(o, "currency", where),
            valid_from=valid_from,
            valid_until=valid_until,
        )


@dataclass(frozen=True)
class VoucherIssue:
    transaction_id: str
    holder: Holder
    vouchers: tuple[Voucher, ...]
    remaining: int

    @classmethod
    def from_json(cls, obj: Any, where: str = "VoucherIssue") -> Self:
        o = as_object(obj, where)
        items = field(o, "vouchers", where)
        if not isinstance(items, list) or not items:
            raise GatewayProtocolError(f"{where}.vouchers: expected a non-empty list")
        vouchers = tuple(
            Voucher.from_json(item, f"{where}.vouchers[{i}]") for i, item in enumerate(items)
        )
        if len({v.serial for v in vouchers}) != len(vouchers):
            raise GatewayProtocolError(f"{where}.vouchers: duplicate serials")
        return cls(
            transaction_id=string(o, "transaction_id", where, nonempty=True),
            holder=Holder.from_json(field(o, "holder", where), f"{where}.holder"),
            vouchers=vouchers,
            remaining=integer(o, "remaining", where, minimum=0),
        )


# --- common modules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name_zh: str
    name_latin: str
    phone_masked: str | None  # None: no registered phone
    email: str
    address: str
    has_phone: bool

    @classmethod
    def from_json(cls, obj: Any, where: str = "Profile") -> Self:
        o = as_object(obj, where)
        return cls(
            name_zh=string(o, "name_zh", where),
            name_latin=string(o, "name_latin", where),
            phone_masked=optional_string(o, "phone_masked", where),
            email=string(o, "email", where),
            address=string(o, "address", where),
            has_phone=boolean(o, "has_phone", where),
        )


@dataclass(frozen=True)
class OtpChallenge:
    challenge_id: str
    phone_masked: str
    length: int
    expires_in_s: int
    resend_after_s: int

    @classmethod
    def from_json(cls, obj: Any, where: str = "OtpChallenge") -> Self:
        o = as_object(obj, where)
        length = integer(o, "length", where, minimum=4)
        if length > 8:
            raise GatewayProtocolError(f"{where}.length: above 8")
        return cls(
            challenge_id=identifier(o, "challenge_id", where),
            phone_masked=string(o, "phone_masked", where),
            length=length,
            expires_in_s=integer(o, "expires_in_s", where, minimum=1),
            resend_after_s=integer(o, "resend_after_s", where, minimum=0),
        )


def parse_otp_token(obj: Any, where: str = "OtpVerified") -> str:
    o = as_object(obj, where)
    integer(o, "expires_in_s", where, minimum=1)
    return string(o, "otp_token", where, nonempty=True, max_length=128)


@dataclass(frozen=True)
class PaymentItem:
    """One line of what is paid: a label (text, or a text per language) and its amount."""

    label: str | Mapping[str, str]
    amount: Decimal

    def to_json(self, where: str = "item") -> dict[str, Any]:
        label = self.label
        if isinstance(label, Mapping):
            label = {lang: label[lang] for lang in LANGUAGES}
        elif not isinstance(label, str) or not label:
            raise ValueError(f"{where}.label must be a non-empty text")
        return {"label": label, "amount": money_text(self.amount, f"{where}.amount")}


@dataclass(frozen=True)
class Payment:
    payment_id: str
    status: str  # "pending" when created
    amount: Decimal
    currency: str
    qr_payload: str
    expires_in_s: int

    @classmethod
    def from_json(cls, obj: Any, where: str = "Payment") -> Self:
        o = as_object(obj, where)
        return cls(
            payment_id=identifier(o, "payment_id", where),
            status=one_of(o, "status", where, frozenset({"pending"})),
            amount=money(o, "amount", where),
            currency=currency(o, "currency", where),
            qr_payload=_qr_payload(o, where),
            expires_in_s=integer(o, "expires_in_s", where, minimum=1),
        )


def _qr_payload(o: dict[str, Any], where: str) -> str:
    payload = string(o, "qr_payload", where, nonempty=True)
    if not _QR_PAYLOAD.fullmatch(payload):
        raise GatewayProtocolError(f"{where}.qr_payload: expected 1 to 512 printable ASCII "
                                   "characters")
    return payload


@dataclass(frozen=True)
class PaymentStatus:
    payment_id: str
    status: str  # pending, paid, expired, refunded
    amount: Decimal
    currency: str
    paid_at: datetime | None

    @classmethod
    def from_json(cls, obj: Any, where: str = "PaymentStatus") -> Self:
        o = as_object(obj, where)
        paid_at = o.get("paid_at")
        return cls(
            payment_id=identifier(o, "payment_id", where),
            status=one_of(o, "status", where, PAYMENT_STATES),
            amount=money(o, "amount", where),
            currency=currency(o, "currency", where),
            paid_at=None if paid_at is None else parse_datetime(paid_at, f"{where}.paid_at"),
        )


@dataclass(frozen=True)
class Refund:
    payment_id: str
    status: str  # "refunded"

    @classmethod
    def from_json(cls, obj: Any, where: str = "Refund") -> Self:
        o = as_object(obj, where)
        return cls(payment_id=identifier(o, "payment_id", where),
                   status=one_of(o, "status", where, frozenset({"refunded"})))


@dataclass(frozen=True)
class Application:
    department: str
    service_id: str
    reference: str
    submitted_on: date
    title: dict[str, str]
    status: str
    status_text: dict[str, str]

    @classmethod
    def from_json(cls, obj: Any, where: str = "Application") -> Self:
        o = as_object(obj, where)
        return cls(
            department=identifier(o, "department", where),
            service_id=identifier(o, "service_id", where),
            reference=identifier(o, "reference", where),
            submitted_on=day(o, "submitted_on", where),
            title=parse_text(field(o, "title", where), f"{where}.title"),
            status=one_of(o, "status", where, APPLICATION_STATES),
            status_text=parse_text(field(o, "status_text", where), f"{where}.status_text"),
        )


def parse_applications(obj: Any, where: str = "Applications") -> tuple[Application, ...]:
    items = field(as_object(obj, where), "applications", where)
    if not isinstance(items, list):
        raise GatewayProtocolError(f"{where}.applications: expected a list")
    return tuple(Application.from_json(a, f"{where}.applications[{i}]")
                 for i, a in enumerate(items))


def parse_departments(obj: Any, where: str = "DepartmentsStatus") -> dict[str, str]:
    departments = as_object(field(as_object(obj, where), "departments", where),
                          f"{where}.departments")
    for name, state in departments.items():
        if state not in ("up", "down"):
            raise GatewayProtocolError(f"{where}.departments: a state is not up or down")
        if not isinstance(name, str) or not name:
            raise GatewayProtocolError(f"{where}.departments: a department without a name")
    return dict(departments)


# --- services ------------------------------------------------------------------------------


def _service_id(o: dict[str, Any], where: str, expected: str) -> str:
    if string(o, "service_id", where) != expected:
        raise GatewayProtocolError(f"{where}.service_id: not the service asked about")
    return expected


@dataclass(frozen=True)
class Lookup:
    """A service's records for the citizen, as docs/gateway.md describes them
    per service (checked by kiosk.api.shapes for the services it knows)."""

    service_id: str
    records: dict[str, Any]

    @classmethod
    def from_json(cls, obj: Any, service_id: str, where: str = "Lookup") -> Self:
        o = as_object(obj, where)
        records = field(o, "records", where)
        shapes.check_records(service_id, records, f"{where}.records")
        return cls(service_id=_service_id(o, where, service_id), records=records)


@dataclass(frozen=True)
class Submission:
    service_id: str
    reference: str
    status: str  # completed: done now; accepted: received, to be processed later
    result: dict[str, Any]

    @classmethod
    def from_json(cls, obj: Any, service_id: str, where: str = "Submission") -> Self:
        o = as_object(obj, where)
        result = field(o, "result", where)
        shapes.check_result(service_id, result, f"{where}.result")
        return cls(service_id=_service_id(o, where, service_id),
                   reference=identifier(o, "reference", where),
                   status=one_of(o, "status", where, SUBMISSION_STATES), result=result)
