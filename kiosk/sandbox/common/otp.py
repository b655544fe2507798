"""The second factor: a 6-digit code by SMS to the citizen's registered phone.

POST /v1/otp/send issues a challenge (and puts the SMS in the outbox that
GET /_sandbox/sms shows); POST /v1/otp/verify trades the right code for an
otp_token, which one submit of that service for that citizen then uses up.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
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
from kiosk.sandbox.departments.base import mask_phone
from kiosk.sandbox.departments.dsi import contact

CODE_LENGTH = 6
EXPIRES_IN_S = 300
RESEND_AFTER_S = 30
MAX_WRONG = 5
TOKEN_EXPIRES_IN_S = 600


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def send(ctx: Context, req: Request) -> Response:
    key = idempotency_key(req)
    body = json_body(req)
    service_id = body["service_id"]
    with db.connect(ctx.db_path) as conn:
        def work() -> tuple[int, Any, str | None]:
            citizen = citizen_of(conn, body["citizen"])
            phone = contact(conn, citizen.card_number)["phone"]
            if not phone:
                raise ApiError(409, "conflict", "the citizen has no registered phone")
            now = ctx.now()
            code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
            challenge = store.unique(conn, "otp_challenges", lambda: {
                "challenge_id": store.new_id("OTP", 12), "card_number": citizen.card_number,
                "service_id": service_id, "code": code, "created_at": _iso(now),
                "expires_at": _iso(now + timedelta(seconds=EXPIRES_IN_S)), "wrong": 0,
                "token": None})
            masked = mask_phone(phone)
            conn["sms"].insert({
                "at": _iso(now), "phone_masked": masked, "code": code,
                "text": f"【澳門特區政府 Governo da RAEM】驗證碼 Código Code {code} "
                        f"({service_id}); {EXPIRES_IN_S // 60} min."})
            return 200, {"challenge_id": challenge["challenge_id"], "phone_masked": masked,
                         "length": CODE_LENGTH, "expires_in_s": EXPIRES_IN_S,
                         "resend_after_s": RESEND_AFTER_S}, service_id

        stored = store.idempotent(conn, terminal_id=req.terminal_id, key=key, path=req.path,
                                  body=body, work=work)
    return store.reply(stored)


def verify(ctx: Context, req: Request) -> Response:
    body = json_body(req)
    now = ctx.now()
    with db.connect(ctx.db_path) as conn:
        with store.immediate(conn):
            rows = list(conn.query("select * from otp_challenges where challenge_id = ?",
                                   [body["challenge_id"]]))
            if not rows:
                raise ApiError(404, "not_found", "no such challenge")
            row = rows[0]
            if row["wrong"] >= MAX_WRONG or now > datetime.fromisoformat(row["expires_at"]):
                raise ApiError(410, "code_expired", "the code expired; ask for a new one")
            right = secrets.compare_digest(body["code"].encode(), row["code"].encode())
            if right:
                token = row["token"] or _new_token(conn, row, now)
            else:
                wrong = row["wrong"] + 1
                conn.execute("update otp_challenges set wrong = ? where challenge_id = ?",
                             [wrong, row["challenge_id"]])
        # Outside the transaction: the wrong attempt is counted, then refused.
        if not right:
            if wrong >= MAX_WRONG:
                raise ApiError(410, "code_expired", "too many wrong codes; ask for a new one")
            left = MAX_WRONG - wrong
            raise ApiError(422, "code_wrong", f"wrong code; {left} attempt(s) left",
                           attempts_left=left)
    return Response(200, {"otp_token": token, "expires_in_s": TOKEN_EXPIRES_IN_S},
                    service_id=row["service_id"])


def _new_token(conn: Database, challenge: dict[str, Any], now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    conn["otp_tokens"].insert({
        "token": token, "card_number": challenge["card_number"],
        "service_id": challenge["service_id"],
        "expires_at": _iso(now + timedelta(seconds=TOKEN_EXPIRES_IN_S)), "used_at": None})
    conn.execute("update otp_challenges set token = ? where challenge_id = ?",
                 [token, challenge["challenge_id"]])
    return token


def use_token(conn: Database, token: str | None, card_number: str, service_id: str,
              now: datetime) -> None:
    """Use up an otp_token for this submit; 403 second_factor_required unless it
    was issued for this service and citizen, is unused and has not expired."""
    rows = [] if token is None else list(conn.query(
        "select * from otp_tokens where token = ?", [token]))
    if (not rows or rows[0]["card_number"] != card_number
            or rows[0]["service_id"] != service_id or rows[0]["used_at"]
            or now > datetime.fromisoformat(rows[0]["expires_at"])):
        raise ApiError(403, "second_factor_required",
                       "this service needs a valid otp_token from /v1/otp/verify")
    conn.execute("update otp_tokens set used_at = ? where token = ?", [_iso(now), token])


def outbox(conn: Database) -> list[dict[str, Any]]:
    return list(conn.query("select at, phone_masked, text, code from sms order by id"))
