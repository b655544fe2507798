"""Strict parsing of decoded JSON replies: each helper returns the value or
raises GatewayProtocolError naming the field, never its value (a value may be
a name or an ID number)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.api.errors import GatewayProtocolError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_MONEY = re.compile(r"[0-9]{1,9}\.[0-9]{2}")
LANGUAGES = ("zh-Hant", "pt", "en")
PAYMENT_STATES = frozenset({"pending", "paid", "expired", "refunded"})
SUBMISSION_STATES = frozenset({"completed", "accepted"})
APPLICATION_STATES = frozenset(
    {"received", "processing", "approved", "ready", "completed", "rejected"})


def as_object(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise GatewayProtocolError(f"{where}: expected an object")
    return obj


def field(obj: dict[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise GatewayProtocolError(f"{where}.{name}: missing")
    return obj[name]


def string(obj: dict[str, Any], name: str, where: str, *, nonempty: bool = False,
           max_length: int | None = None) -> str:
    value = field(obj, name, where)
    if not isinstance(value, str):
        raise GatewayProtocolError(f"{where}.{name}: expected a string")
    if nonempty and not value:
        raise GatewayProtocolError(f"{where}.{name}: empty")
    if max_length is not None and len(value) > max_length:
        raise GatewayProtocolError(f"{where}.{name}: too long")
    return value


def identifier(obj: dict[str, Any], name: str, where: str) -> str:
    """An id the gateway made (payment, challenge, reference): 1 to 64 characters."""
    return string(obj, name, where, nonempty=True, max_length=64)


def integer(obj: dict[str, Any], name: str, where: str, *, minimum: int) -> int:
    value = field(obj, name, where)
    # bool is a subclass of int, and true is no count.
    if not isinstance(value, int) or isinstance(value, bool):
        raise GatewayProtocolError(f"{where}.{name}: expected an integer")
    if value < minimum:
        raise GatewayProtocolError(f"{where}.{name}: below {minimum}")
    return value


def day(obj: dict[str, Any], name: str, where: str) -> date:
    value = string(obj, name, where)
    # The regex first: fromisoformat also takes forms like "20240101" that the
    # API does not promise, and [0-9] keeps out non-ASCII digits.
    if not _DATE.fullmatch(value):
        raise GatewayProtocolError(f"{where}.{name}: expected a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GatewayProtocolError(f"{where}.{name}: not a calendar date") from None


def boolean(obj: dict[str, Any], name: str, where: str) -> bool:
    value = field(obj, name, where)
    if not isinstance(value, bool):
        raise GatewayProtocolError(f"{where}.{name}: expected true or false")
    return value


def optional_string(obj: dict[str, Any], name: str, where: str) -> str | None:
    """A field that is there, and either null or a string."""
    return None if field(obj, name, where) is None else string(obj, name, where)


def one_of(obj: dict[str, Any], name: str, where: str, allowed: frozenset[str]) -> str:
    value = string(obj, name, where)
    if value not in allowed:
        raise GatewayProtocolError(f"{where}.{name}: not one of the known values")
    return value


def parse_money(value: Any, where: str) -> Decimal:
    """A money string ("110.00") as a Decimal; GatewayProtocolError otherwise."""
    if not isinstance(value, str) or not _MONEY.fullmatch(value):
        raise GatewayProtocolError(f"{where}: expected an amount like 110.00")
    return Decimal(value)


def money(obj: dict[str, Any], name: str, where: str) -> Decimal:
    return parse_money(field(obj, name, where), f"{where}.{name}")


def parse_datetime(value: Any, where: str) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise GatewayProtocolError(f"{where}: expected an ISO date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GatewayProtocolError(f"{where}: not a valid date-time") from None
    if parsed.tzinfo is None:
        raise GatewayProtocolError(f"{where}: date-time without a time zone")
    return parsed


def parse_text(value: Any, where: str) -> dict[str, str]:
    """A department's text: {zh-Hant, pt, en}, each a string."""
    if not isinstance(value, dict):
        raise GatewayProtocolError(f"{where}: expected a text in three languages")
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str):
            raise GatewayProtocolError(f"{where}.{lang}: expected a string")
    return {lang: value[lang] for lang in LANGUAGES}


def money_text(amount: Decimal, where: str = "amount") -> str:
    """A Decimal as the API's money string; ValueError for what the API cannot carry."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ValueError(f"{where} must be a non-negative Decimal")
    try:
        exact = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"{where} is too large") from None
    if exact != amount:
        raise ValueError(f"{where} must be whole cents")
    text = f"{exact:.2f}"
    if not _MONEY.fullmatch(text):
        raise ValueError(f"{where} is too large")
    return text


def currency(obj: dict[str, Any], name: str, where: str) -> str:
    value = string(obj, name, where)
    if not _CURRENCY.fullmatch(value):
        raise GatewayProtocolError(f"{where}.{name}: expected a 3-letter currency code")
    return value
