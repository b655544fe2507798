"""Voucher serial numbers: 12 digits, the last a Luhn check digit, so a
mistyped serial is caught before it reaches the gateway."""

from __future__ import annotations

import secrets

SERIAL_DIGITS = 12


def luhn_check_digit(digits: str) -> str:
    total = 0
    # Double every second digit counting from the right of the full number,
    # i.e. from the rightmost payload digit since the check digit is appended.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return (
        len(number) > 1
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def new_serial() -> str:
    """A random 12-digit serial with a Luhn check digit; never starts with 0."""
    payload = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(SERIAL_DIGITS - 2)
    )
    return payload + luhn_check_digit(payload)
