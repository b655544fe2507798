"""交通事務局 Transport Bureau: vehicle licence tax and traffic fines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from kiosk.sandbox import store
from kiosk.sandbox.core import ApiError
from kiosk.sandbox.departments import payables
from kiosk.sandbox.departments.base import (
    CURRENCY,
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    replenish,
)

CAR = T("輕型汽車", "Automóvel ligeiro", "Light car")
MOTORCYCLE = T("重型摩托車", "Motociclo", "Motorcycle")
VEHICLES = {  # card: (plate, kind, yearly tax)
    "C0000001": (("MK-12-34", CAR, "900.00"), ("ML-56-78", MOTORCYCLE, "250.00")),
    "C0000002": (("MN-90-12", MOTORCYCLE, "250.00"),),
}
SPEEDING = T("超速駕駛", "Excesso de velocidade", "Speeding")
PARKING = T("違例泊車", "Estacionamento proibido", "Illegal parking")
RED_LIGHT = T("衝紅燈", "Desrespeito do sinal vermelho", "Running a red light")
NO_BELT = T("未扣安全帶", "Falta de cinto de segurança", "Seat belt not fastened")
FINES = {  # card: (plate, offence, days ago, amount)
    "C0000001": (("MK-12-34", SPEEDING, 20, "600.00"), ("MK-12-34", PARKING, 9, "300.00"),
                 ("ML-56-78", RED_LIGHT, 4, "1000.00")),
    "C0000002": (("MN-90-12", NO_BELT, 15, "300.00"),),
}


def _tax(plate: str, kind: dict[str, str], amount: str, year: int) -> dict[str, Any]:
    return {"plate": plate, "kind": kind, "year": year, "amount": amount,
            "due_on": date(year, 3, 31).isoformat()}


def _fresh_taxes(call: Call) -> Iterator[tuple[str, dict[str, Any]]]:
    # Next year's tax for each of the card's vehicles.
    years = [r.data["year"] for r in call.records("vehicle_tax")]
    year = max(years, default=call.today.year) + 1
    for plate, kind, amount in VEHICLES[call.card]:
        yield f"{plate}/{year}", _tax(plate, kind, amount, year)


def _fine(plate: str, offence: dict[str, str], day: date, amount: str,
          fine_id: str) -> dict[str, Any]:
    return {"fine_id": fine_id, "plate": plate, "offence": offence, "date": day.isoformat(),
            "amount": amount, "place": T("友誼大馬路", "Avenida da Amizade", "Avenida da Amizade")}


def _fresh_fines(call: Call) -> Iterator[tuple[str, dict[str, Any]]]:
    for plate, offence, days, amount in FINES[call.card]:
        fine_id = store.new_id("TF")
        yield fine_id, _fine(plate, offence, call.today - timedelta(days=days), amount, fine_id)


def vehicle_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    replenish(call, "vehicle_tax", lambda: _fresh_taxes(call), payables.is_open)
    return {"vehicles": [{k: r.data[k] for k in ("plate", "kind", "year", "amount", "due_on")}
                         for r in payables.open_items(call, "vehicle_tax")],
            "currency": CURRENCY}


def vehicle_submit(call: Call, form: dict[str, Any]) -> Outcome:
    items = []
    owned = {r.data["plate"] for r in call.records("vehicle_tax")}
    for plate in form["plates"]:
        if plate not in owned:
            raise ApiError(404, "not_found", "no vehicle with this plate for this citizen")
        due = [r for r in payables.open_items(call, "vehicle_tax") if r.data["plate"] == plate]
        if not due:
            raise ApiError(409, "nothing_to_do", "this vehicle's tax is already paid")
        items.append(min(due, key=lambda r: r.data["year"]))
    amount = payables.pay(call, "vehicle_tax", items)
    return Outcome({"receipt_number": call.reference, "paid": form["plates"],
                    "years": [r.data["year"] for r in items],
                    "amount": f"{amount:.2f}", "currency": CURRENCY}, due=amount)


def fines_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    replenish(call, "fine", lambda: _fresh_fines(call), payables.is_open)
    return {"fines": [{k: r.data[k] for k in ("fine_id", "plate", "offence", "date", "amount",
                                              "place")}
                      for r in payables.open_items(call, "fine")],
            "currency": CURRENCY}


def fines_submit(call: Call, form: dict[str, Any]) -> Outcome:
    fines = [call.record("fine", fine_id) for fine_id in form["fine_ids"]]
    amount = payables.pay(call, "fine", fines)
    return Outcome({"receipt_number": call.reference, "paid": form["fine_ids"],
                    "amount": f"{amount:.2f}", "currency": CURRENCY}, due=amount)


SERVICES = (
    Service("dsat.vehicle-tax", vehicle_lookup, vehicle_submit),
    Service("dsat.traffic-fines", fines_lookup, fines_submit),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card, vehicles in VEHICLES.items():
        for plate, kind, amount in vehicles:
            yield ("vehicle_tax", card, f"{plate}/{today.year}",
                   _tax(plate, kind, amount, today.year))
    for card, fines in FINES.items():
        for n, (plate, offence, days, amount) in enumerate(fines, 1):
            fine_id = f"TF{card[-2:]}{n:06d}"
            yield ("fine", card, fine_id,
                   _fine(plate, offence, today - timedelta(days=days), amount, fine_id))
