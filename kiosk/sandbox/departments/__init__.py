"""The ten departments behind the gateway, one module each: their demo
records and their services' lookup and submit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from types import ModuleType

from kiosk.sandbox.departments import dsaj, dsat, dsf, dsi, fp, fss, ias, ic, safp, ssm
from kiosk.sandbox.departments.base import SeedRow, Service

MODULES: dict[str, ModuleType] = {
    "dsi": dsi, "ssm": ssm, "fss": fss, "ias": ias, "fp": fp,
    "dsf": dsf, "safp": safp, "dsaj": dsaj, "ic": ic, "dsat": dsat,
}
DEPARTMENTS: tuple[str, ...] = tuple(MODULES)
SERVICES: dict[str, Service] = {
    svc.service_id: svc for module in MODULES.values() for svc in module.SERVICES
}


def department_of(service_id: str) -> str:
    return service_id.split(".", 1)[0]


def seed(today: date) -> Iterator[SeedRow]:
    for module in MODULES.values():
        yield from module.seed(today)
