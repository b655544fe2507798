"""衛生局 Health Bureau: health vouchers (balance, issue for printing,
transfer to family) and the family relations transfers rely on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from kiosk.sandbox import db, store
from kiosk.sandbox.core import (
    ApiError,
    Context,
    Request,
    Response,
    citizen_of,
    idempotency_key,
    json_body,
    unknown_citizen,
)
from kiosk.sandbox.demo import by_card_number
from kiosk.sandbox.departments.base import (
    EVERGREEN,
    Call,
    Outcome,
    SeedRow,
    Service,
    T,
    mask_name,
)

SPOUSE = T("配偶", "Cônjuge", "Spouse")
SON = T("兒子", "Filho", "Son")
DAUGHTER = T("女兒", "Filha", "Daughter")
FAMILY: dict[str, tuple[tuple[str, str, dict[str, str], bool, bool], ...]] = {
    # card: (member id, name, relation, kinship verified, verifiable from records)
    "C0000001": (("FM0000011", "李秀英", SPOUSE, True, True),
                 ("FM0000012", "陳家明", SON, False, True),
                 ("FM0000013", "陳美華", DAUGHTER, False, False)),
    "C0000002": (("FM0000021", "李俊傑", SON, False, True),),
    "C0000003": (("FM0000031", "蘇安娜", DAUGHTER, True, True),),
}
CLINICS = (
    T("鏡湖醫院", "Hospital Kiang Wu", "Kiang Wu Hospital"),
    T("工人醫療所", "Posto Médico dos Operários", "Workers' Clinic"),
    T("南灣牙科診所", "Clínica Dentária da Praia Grande", "Praia Grande Dental Clinic"),
)


def restock(conn: Database, card_number: str) -> None:
    """The evergreen demo card gets its yearly allocation back once it has none."""
    demo = by_card_number(card_number)
    if card_number in EVERGREEN and demo is not None:
        conn.execute("update citizens set vouchers_available = ? where card_number = ?"
                     " and vouchers_available = 0", [demo.vouchers_available, card_number])


def voucher_balance(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    with db.connect(ctx.db_path) as conn, store.immediate(conn):
        try:
            citizen = db.find_citizen(conn, body["card_number"], body["id_number"])
        except db.UnknownCitizen:
            raise unknown_citizen() from None
        restock(conn, citizen.card_number)
        citizen = db.find_citizen(conn, body["card_number"], body["id_number"])
    return Response(200, {"holder": citizen.holder(), **_balance(ctx.today(), citizen)})


def _balance(today: date, citizen: db.Citizen) -> dict[str, Any]:
    return {"available": citizen.vouchers_available, "value": db.VOUCHER_VALUE,
            "currency": db.CURRENCY, "valid_until": date(today.year, 12, 31).isoformat()}


def voucher_issue(ctx: Context, req: Request) -> Response:
    key = idempotency_key(req)
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        try:
            reply, replayed = db.issue_vouchers(
                conn, terminal_id=req.terminal_id, idempotency_key=key, body=body,
                today=ctx.today())
        except db.UnknownCitizen:
            raise unknown_citizen() from None
        except db.InsufficientBalance:
            raise ApiError(409, "insufficient_balance",
                           "more vouchers asked for than available") from None
        except db.IdempotencyConflict:
            raise ApiError(422, "idempotency_conflict",
                           "Idempotency-Key already used with a different body") from None
    return Response(201, reply, {"Idempotent-Replayed": "true"} if replayed else {},
                    service_id="ssm.voucher-print")


def _citizen_now(call: Call) -> db.Citizen:
    restock(call.db, call.card)
    return citizen_of(call.db, {"card_number": call.card, "id_number": call.citizen.id_number})


def _family(call: Call) -> list[dict[str, Any]]:
    return [{"member_id": r.data["member_id"], "name_masked": mask_name(r.data["name_zh"]),
             "relation": r.data["relation"], "kinship_verified": r.data["kinship_verified"]}
            for r in call.records("family")]


def print_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _balance(call.today, _citizen_now(call))


def balance_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    used = [r.data for r in call.records("voucher_use")]
    return {**_balance(call.today, _citizen_now(call)), "used": used}


def transfer_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {**_balance(call.today, _citizen_now(call)), "family": _family(call)}


def transfer_submit(call: Call, form: dict[str, Any]) -> Outcome:
    member = call.record("family", form["member_id"]).data
    if not member["kinship_verified"]:
        raise ApiError(409, "conflict", "the relation to this family member is not verified")
    citizen = _citizen_now(call)
    if form["count"] > citizen.vouchers_available:
        raise ApiError(409, "insufficient_balance", "more vouchers asked for than available")
    remaining = citizen.vouchers_available - form["count"]
    call.db.execute("update citizens set vouchers_available = ? where card_number = ?",
                    [remaining, call.card])
    return Outcome({"count": form["count"], "member_name_masked": mask_name(member["name_zh"]),
                    "remaining": remaining})


def kinship_lookup(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"family": _family(call)}


def kinship_submit(call: Call, form: dict[str, Any]) -> Outcome:
    rec = call.record("family", form["member_id"])
    verified = bool(rec.data["kinship_verified"] or rec.data["verifiable"])
    call.put("family", rec.record_id, {**rec.data, "kinship_verified": verified})
    note = (T("已核實，可移轉醫療券", "Verificado: pode transferir vales",
              "Verified: vouchers may be transferred") if verified else
            T("記錄中未能核實，請帶同證明文件到衛生局",
              "Não consta dos registos; dirija-se aos Serviços de Saúde com os documentos",
              "Not in the records; bring your documents to the Health Bureau"))
    return Outcome({"relation": rec.data["relation"], "verified": verified,
                    "member_name_masked": mask_name(rec.data["name_zh"]), "note": note})


SERVICES = (
    Service("ssm.voucher-print", print_lookup),
    Service("ssm.voucher-balance", balance_lookup),
    Service("ssm.voucher-transfer", transfer_lookup, transfer_submit, second_factor=True),
    Service("ssm.kinship-verify", kinship_lookup, kinship_submit),
)


def seed(today: date) -> Iterator[SeedRow]:
    for card, members in FAMILY.items():
        for member_id, name, relation, verified, verifiable in members:
            yield ("family", card, member_id, {
                "member_id": member_id, "name_zh": name, "relation": relation,
                "kinship_verified": verified, "verifiable": verifiable})
    uses = {"C0000001": ((40, 0, "200.00"), (75, 1, "100.00"), (130, 2, "300.00")),
            "C0000003": ((20, 1, "100.00"),)}
    for card, rows in uses.items():
        for n, (days, clinic, amount) in enumerate(rows):
            day = max(today - timedelta(days=days), date(today.year, 1, 1))
            yield ("voucher_use", card, f"VU-{card}-{n}", {
                "date": day.isoformat(), "provider": CLINICS[clinic], "amount": amount})
