"""退休基金會 Pension Fund: proof of life of retired public servants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from kiosk.sandbox.departments.base import SeedRow, T
from kiosk.sandbox.departments.life import beneficiary, proof_of_life

RETIREMENT = T("退休金", "Pensão de aposentação", "Retirement pension")

SERVICES = (proof_of_life("fp.proof-of-life", "fp_beneficiary"),)


def seed(today: date) -> Iterator[SeedRow]:
    yield ("fp_beneficiary", "C0000001", "fp_beneficiary:C0000001",
           beneficiary(RETIREMENT, today - timedelta(days=200)))
