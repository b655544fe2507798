"""The gateway's replies as frozen dataclasses, parsed strictly.

`from_json` accepts any decoded JSON and either returns a valid model or
raises GatewayProtocolError naming the field at fault, never its value: a
value may be a name or an ID number. Unknown extra fields are ignored, so the
gateway may add fields without breaking deployed kiosks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Self

from kiosk.api.errors import GatewayProtocolError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SERIAL = re.compile(r"[0-9]{12}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _object(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise GatewayProtocolError(f"{where}: expected an object")
    return obj


def _field(obj: dict[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise GatewayProtocolError(f"{where}.{name}: missing")
    return obj[name]


def _str(obj: dict[str, Any], name: str, where: str, *, nonempty: bool = False) -> str:
    value = _field(obj, name, where)
    if not isinstance(value, str):
        raise GatewayProtocolError(f"{where}.{name}: expected a string")
    if nonempty and not value:
        raise GatewayProtocolError(f"{where}.{name}: empty")
    return value


def _int(obj: dict[str, Any], name: str, where: str, *, minimum: int) -> int:
    value = _field(obj, name, where)
    # bool is a subclass of int, and true is no count.
    if not isinstance(value, int) or isinstance(value, bool):
        raise GatewayProtocolError(f"{where}.{name}: expected an integer")
    if value < minimum:
        raise GatewayProtocolError(f"{where}.{name}: below {minimum}")
    return value


def _date(obj: dict[str, Any], name: str, where: str) -> date:
    value = _str(obj, name, where)
    # The regex first: fromisoformat also takes forms like "20240101" that the
    # API does not promise, and [0-9] keeps out non-ASCII digits.
    if not _DATE.fullmatch(value):
        raise GatewayProtocolError(f"{where}.{name}: expected a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GatewayProtocolError(f"{where}.{name}: not a calendar date") from None


def _currency(obj: dict[str, Any], name: str, where: str) -> str:
    value = _str(obj, name, where)
    if not _CURRENCY.fullmatch(value):
        raise GatewayProtocolError(f"{where}.{name}: expected a 3-letter currency code")
    return value


@dataclass(frozen=True)
class Holder:
    name_zh: str
    name_latin: str

    @classmethod
    def from_json(cls, obj: Any, where: str = "Holder") -> Self:
        o = _object(obj, where)
        return cls(name_zh=_str(o, "name_zh", where), name_latin=_str(o, "name_latin", where))


@dataclass(frozen=True)
class VoucherBalance:
    holder: Holder
    available: int
    value: int  # of one voucher
    currency: str
    valid_until: date

    @classmethod
    def from_json(cls, obj: Any, where: str = "VoucherBalance") -> Self:
        o = _object(obj, where)
        return cls(
            holder=Holder.from_json(_field(o, "holder", where), f"{where}.holder"),
            available=_int(o, "available", where, minimum=0),
            value=_int(o, "value", where, minimum=1),
            currency=_currency(o, "currency", where),
            valid_until=_date(o, "valid_until", where),
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
        o = _object(obj, where)
        serial = _str(o, "serial", where)
        if not _SERIAL.fullmatch(serial):
            raise GatewayProtocolError(f"{where}.serial: expected 12 digits")
        valid_from = _date(o, "valid_from", where)
        valid_until = _date(o, "valid_until", where)
        if valid_until < valid_from:
            raise GatewayProtocolError(f"{where}.valid_until: before valid_from")
        return cls(
            serial=serial,
            value=_int(o, "value", where, minimum=1),
            currency=_currency(o, "currency", where),
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
        o = _object(obj, where)
        items = _field(o, "vouchers", where)
        if not isinstance(items, list) or not items:
            raise GatewayProtocolError(f"{where}.vouchers: expected a non-empty list")
        vouchers = tuple(
            Voucher.from_json(item, f"{where}.vouchers[{i}]") for i, item in enumerate(items)
        )
        if len({v.serial for v in vouchers}) != len(vouchers):
            raise GatewayProtocolError(f"{where}.vouchers: duplicate serials")
        return cls(
            transaction_id=_str(o, "transaction_id", where, nonempty=True),
            holder=Holder.from_json(_field(o, "holder", where), f"{where}.holder"),
            vouchers=vouchers,
            remaining=_int(o, "remaining", where, minimum=0),
        )
