"""The one client for the government gateway: an operation per call of
docs/gateway.md, typed replies parsed strictly (kiosk.api.models, and per
service kiosk.api.shapes), over the Transport's retries and typed errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from kiosk.api.errors import GatewayProtocolError
from kiosk.api.models import (
    Application,
    Lookup,
    OtpChallenge,
    Payment,
    PaymentItem,
    PaymentStatus,
    Profile,
    Refund,
    Submission,
    VoucherBalance,
    VoucherIssue,
    parse_applications,
    parse_departments,
    parse_otp_token,
)
from kiosk.api.parse import money_text
from kiosk.api.transport import Transport

if TYPE_CHECKING:
    from kiosk.config.schema import Config


class GatewayClient(Transport):
    """Calls the gateway as one authenticated terminal. Thread-safe as far as
    the requests.Session is; give each worker thread its own client if unsure."""

    @classmethod
    def for_terminal(cls, config: Config, url: str, *, connect_timeout: float | None = None,
                     read_timeout: float | None = None, retries: int | None = None) -> Self:
        """A client as the terminal's [backend] says: its token, timeouts, retries
        and TLS (pinned CA, client certificate). Every client the kiosk makes comes
        from here, so none talks to the gateway without them; a caller overrides
        only the timing (a probe wants short timeouts, a worker no retries)."""
        backend = config.backend
        cert = (backend.client_cert, backend.client_key) if backend.client_cert else None
        return cls(url, config.terminal.id, backend.terminal_token,
                   connect_timeout=backend.connect_timeout_s if connect_timeout is None
                   else connect_timeout,
                   read_timeout=backend.read_timeout_s if read_timeout is None else read_timeout,
                   retries=backend.retries if retries is None else retries,
                   ca_file=backend.ca_file or None, client_cert=cert)

    # --- operations ---------------------------------------------------------

    def health(self) -> dict[str, Any]:
        reply = self._request("GET", "/v1/health")
        if not isinstance(reply, dict) or reply.get("status") != "ok":
            raise GatewayProtocolError("GET /v1/health: expected {status: ok}")
        return reply

    def voucher_balance(self, card_number: str, id_number: str) -> VoucherBalance:
        body = {"card_number": card_number, "id_number": id_number}
        # A POST only to keep identifiers out of URLs: a read, safe to retry.
        reply = self._request("POST", "/v1/ssm/vouchers/balance", body, read=True)
        return VoucherBalance.from_json(reply)

    def issue_vouchers(
        self, card_number: str, id_number: str, count: int, *, idempotency_key: str
    ) -> VoucherIssue:
        _need_key("issue_vouchers", idempotency_key)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        body = {"card_number": card_number, "id_number": id_number, "count": count}
        reply = self._request("POST", "/v1/ssm/vouchers/issue", body, idempotency_key)
        return VoucherIssue.from_json(reply)

    # --- common modules ---------------------------------------------------------

    def profile(self, card_number: str, id_number: str) -> Profile:
        reply = self._request("POST", "/v1/profile", {"citizen": _citizen(card_number, id_number)},
                              read=True)
        return Profile.from_json(reply)

    def send_otp(
        self, card_number: str, id_number: str, service_id: str, *, idempotency_key: str
    ) -> OtpChallenge:
        """A code by SMS to the citizen's registered phone, for one service.
        A new key sends a new code (a resend); retries reuse the key, one SMS."""
        _need_key("send_otp", idempotency_key)
        body = {"citizen": _citizen(card_number, id_number), "service_id": service_id}
        return OtpChallenge.from_json(self._request("POST", "/v1/otp/send", body,
                                                    idempotency_key))

    def verify_otp(self, challenge_id: str, code: str) -> str:
        """The otp_token for the right code. Not retried: each wrong code counts.
        GatewayRejected "code_wrong" (with .attempts_left) or "code_expired"."""
        reply = self._request("POST", "/v1/otp/verify",
                              {"challenge_id": challenge_id, "code": code})
        return parse_otp_token(reply)

    def create_payment(
        self,
        card_number: str,
        id_number: str,
        service_id: str,
        amount: Decimal,
        currency: str,
        items: Sequence[PaymentItem | Mapping[str, Any]],
        *,
        idempotency_key: str,
    ) -> Payment:
        """A pending payment of `amount` (the sum of `items`: PaymentItem, or
        {label, amount} mappings) that the citizen's wallet pays by QR code."""
        _need_key("create_payment", idempotency_key)
        lines = [_item(item, f"items[{i}]") for i, item in enumerate(items)]
        if not lines:
            raise ValueError("a payment needs at least one item")
        if sum(line.amount for line in lines) != amount or amount <= 0:
            raise ValueError("amount must be positive and the sum of the items' amounts")
        body = {
            "citizen": _citizen(card_number, id_number),
            "service_id": service_id,
            "amount": money_text(amount),
            "currency": currency,
            "items": [line.to_json(f"items[{i}]") for i, line in enumerate(lines)],
        }
        return Payment.from_json(self._request("POST", "/v1/payments", body, idempotency_key))

    def payment_status(self, payment_id: str) -> PaymentStatus:
        reply = self._request("POST", "/v1/payments/status", {"payment_id": payment_id},
                              read=True)
        return PaymentStatus.from_json(reply)

    def refund_payment(self, payment_id: str, reason: str, *, idempotency_key: str) -> Refund:
        """Refund a paid payment no submit used (or void a pending one)."""
        _need_key("refund_payment", idempotency_key)
        body = {"payment_id": payment_id, "reason": reason}
        return Refund.from_json(self._request("POST", "/v1/payments/refund", body,
                                              idempotency_key))

    def application_progress(self, card_number: str, id_number: str) -> tuple[Application, ...]:
        """Every application of the citizen, whichever department has it."""
        reply = self._request("POST", "/v1/applications/progress",
                              {"citizen": _citizen(card_number, id_number)}, read=True)
        return parse_applications(reply)

    def departments_status(self) -> dict[str, str]:
        """Each department behind the gateway: "up" or "down"."""
        return parse_departments(self._request("POST", "/v1/departments/status", {}, read=True))

    # --- services -------------------------------------------------------------

    def lookup(
        self,
        service_id: str,
        card_number: str,
        id_number: str,
        params: Mapping[str, Any] | None = None,
    ) -> Lookup:
        """The service's records for the citizen (docs/gateway.md, per service)."""
        body: dict[str, Any] = {"service_id": service_id,
                                "citizen": _citizen(card_number, id_number)}
        if params:
            body["params"] = dict(params)
        reply = self._request("POST", "/v1/services/lookup", body, read=True)
        return Lookup.from_json(reply, service_id)

    def submit(
        self,
        service_id: str,
        card_number: str,
        id_number: str,
        form: Mapping[str, Any],
        *,
        idempotency_key: str,
        payment_id: str | None = None,
        otp_token: str | None = None,
    ) -> Submission:
        """Do the service. A fee needs `payment_id` (paid, the exact amount due,
        used once): else GatewayRejected "payment_required"; a second factor
        needs `otp_token`: else "second_factor_required"."""
        _need_key("submit", idempotency_key)
        body: dict[str, Any] = {"service_id": service_id,
                                "citizen": _citizen(card_number, id_number), "form": dict(form)}
        if payment_id is not None:
            body["payment_id"] = payment_id
        if otp_token is not None:
            body["otp_token"] = otp_token
        reply = self._request("POST", "/v1/services/submit", body, idempotency_key)
        return Submission.from_json(reply, service_id)

    # --- the fleet --------------------------------------------------------------

    def heartbeat(self, payload: Mapping[str, Any]) -> datetime:
        """Tell the gateway this terminal is alive and how it is (kiosk.fleet.heartbeat:
        device states, alert codes, outbox counts; nothing personal). The last one
        replaces the one before, so a retry is harmless. When the gateway took it."""
        path = f"/v1/terminals/{quote(self.terminal_id, safe='')}/heartbeat"
        reply = self._request("POST", path, dict(payload), read=True)
        received = reply.get("received_at") if isinstance(reply, dict) else None
        try:
            if not isinstance(received, str):
                raise ValueError
            at = datetime.fromisoformat(received)
        except ValueError:
            raise GatewayProtocolError(f"POST {path}: expected {{received_at: date-time}}"
                                       ) from None
        if at.tzinfo is None:
            raise GatewayProtocolError(f"POST {path}: received_at without a time zone")
        return at


def _citizen(card_number: str, id_number: str) -> dict[str, str]:
    return {"card_number": card_number, "id_number": id_number}


def _need_key(operation: str, key: str) -> None:
    if not key:
        raise ValueError(f"{operation} needs an idempotency key")


def _item(item: PaymentItem | Mapping[str, Any], where: str) -> PaymentItem:
    if isinstance(item, PaymentItem):
        return item
    try:
        amount = item["amount"]
        return PaymentItem(item["label"], amount if isinstance(amount, Decimal)
                           else Decimal(str(amount)))
    except (KeyError, TypeError, ArithmeticError):
        raise ValueError(f"{where} must be a PaymentItem or {{label, amount}}") from None
