"""Amounts as the gateway sends them ("110.00" + currency), as Decimals, never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def amount(value: Any) -> Decimal:
    """A gateway amount as a Decimal with two places; ValueError if it is not one."""
    try:
        result = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValueError("not an amount") from None
    if not result.is_finite() or result < 0:
        raise ValueError("not an amount")
    return result


def text(value: Decimal) -> str:
    """``Decimal("1234.5")`` → ``"1,234.50"``: how amounts are shown."""
    return f"{value.quantize(CENT):,}"
