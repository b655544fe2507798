"""Payments: the kiosk asks for one (a QR code the citizen's wallet pays),
follows its status, refunds it if the service then cannot be done; a submit
with a fee uses one paid payment of exactly the amount due, once."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
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
)

EXPIRES_IN_S = 600
QR_BASE = "https://pay.gateway.example.gov.mo/p/"


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _row(conn: Database, payment_id: str, now: datetime) -> dict[str, Any]:
    """The payment, its status brought up to date (a pending one past its time expires)."""
    rows = list(conn.query("select * from payments where payment_id = ?", [payment_id]))
    if not rows:
        raise ApiError(404, "not_found", "no such payment")
    row = rows[0]
    if row["status"] == "pending" and now > datetime.fromisoformat(row["expires_at"]):
        conn.execute("update payments set status = 'expired' where payment_id = ?",
                     [payment_id])
        row["status"] = "expired"
    return row


def _status(row: dict[str, Any]) -> dict[str, Any]:
    reply = {"payment_id": row["payment_id"], "status": row["status"],
             "amount": row["amount"], "currency": row["currency"]}
    if row["paid_at"]:
        reply["paid_at"] = row["paid_at"]
    return reply


def create(ctx: Context, req: Request) -> Response:
    key = idempotency_key(req)
    body = json_body(req)
    amount = Decimal(body["amount"])
    if amount <= 0 or sum(Decimal(i["amount"]) for i in body["items"]) != amount:
        raise ApiError(400, "invalid_request", "$.amount: must be positive and the items' sum")
    with db.connect(ctx.db_path) as conn:
        def work() -> tuple[int, Any, str | None]:
            citizen = citizen_of(conn, body["citizen"])
            now = ctx.now()
            row = store.unique(conn, "payments", lambda: {
                "payment_id": "PAY" + secrets.token_hex(8).upper(),
                "card_number": citizen.card_number, "service_id": body["service_id"],
                "amount": body["amount"], "currency": body["currency"],
                "items": json.dumps(body["items"], ensure_ascii=False), "status": "pending",
                "created_at": _iso(now), "expires_at": _iso(now + timedelta(seconds=EXPIRES_IN_S)),
                "paid_at": None, "used_by": None, "refund_reason": None})
            return 201, {"payment_id": row["payment_id"], "status": "pending",
                         "amount": row["amount"], "currency": row["currency"],
                         "qr_payload": QR_BASE + row["payment_id"],
                         "expires_in_s": EXPIRES_IN_S}, body["service_id"]

        stored = store.idempotent(conn, terminal_id=req.terminal_id, key=key, path=req.path,
                                  body=body, work=work)
    return store.reply(stored)


def status(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    with db.connect(ctx.db_path) as conn, store.immediate(conn):
        return Response(200, _status(_row(conn, body["payment_id"], ctx.now())))


def refund(ctx: Context, req: Request) -> Response:
    key = idempotency_key(req)
    body = json_body(req)
    with db.connect(ctx.db_path) as conn:
        def work() -> tuple[int, Any, str | None]:
            row = _row(conn, body["payment_id"], ctx.now())
            if row["used_by"]:
                raise ApiError(409, "conflict", "the payment was used by a submission")
            if row["status"] == "expired":
                raise ApiError(409, "conflict", "the payment expired unpaid")
            # A pending payment is voided: the wallet can no longer pay it.
            conn.execute("update payments set status = 'refunded', refund_reason = ?"
                         " where payment_id = ?", [body["reason"], row["payment_id"]])
            return 200, {"payment_id": row["payment_id"], "status": "refunded"}, row["service_id"]

        stored = store.idempotent(conn, terminal_id=req.terminal_id, key=key, path=req.path,
                                  body=body, work=work)
    return store.reply(stored)


def pay(ctx: Context, payment_id: str) -> dict[str, Any]:
    """The citizen's wallet pays (test control); paying twice is harmless."""
    with db.connect(ctx.db_path) as conn, store.immediate(conn):
        row = _row(conn, payment_id, ctx.now())
        if row["status"] == "pending":
            row["paid_at"] = _iso(ctx.now())
            row["status"] = "paid"
            conn.execute("update payments set status = 'paid', paid_at = ? where payment_id = ?",
                         [row["paid_at"], payment_id])
        elif row["status"] != "paid":
            raise ApiError(409, "conflict", f"the payment is {row['status']}")
        return _status(row)


def use(conn: Database, payment_id: str | None, card_number: str, service_id: str,
        due: Decimal, reference: str, now: datetime) -> None:
    """Use a payment for a submit that costs `due`: 402 payment_required unless
    it is paid, for this citizen and service, of exactly `due`; 409 if used before."""
    if due <= 0:
        if payment_id is not None:
            raise ApiError(400, "invalid_request", "$.payment_id: this submit has no fee")
        return
    if payment_id is None:
        raise ApiError(402, "payment_required", "this submit needs a paid payment_id")
    try:
        row = _row(conn, payment_id, now)
    except ApiError:
        raise ApiError(402, "payment_required", "no such payment") from None
    if row["used_by"]:
        raise ApiError(409, "conflict", "the payment was already used")
    if (row["status"] != "paid" or row["card_number"] != card_number
            or row["service_id"] != service_id or Decimal(row["amount"]) != due):
        raise ApiError(402, "payment_required",
                       "the payment is not paid, or not for this citizen, service and amount")
    conn.execute("update payments set used_by = ? where payment_id = ?", [reference, payment_id])
