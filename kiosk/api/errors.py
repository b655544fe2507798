"""Typed gateway errors: the journey maps `.code` to a message for the citizen.

Messages are for developers and logs, so they never carry personal data:
they name endpoints and fields, never values.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The gateway's error codes (docs/gateway.md), plus the client's own three.

    `GatewayError.code` is a plain str that compares equal to these."""

    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    PAYMENT_REQUIRED = "payment_required"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    CONFLICT = "conflict"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    NOTHING_TO_DO = "nothing_to_do"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    CODE_WRONG = "code_wrong"  # GatewayRejected.attempts_left says how many tries remain
    CODE_EXPIRED = "code_expired"
    DEPARTMENT_UNAVAILABLE = "department_unavailable"  # a GatewayUnavailable, not retried
    GATEWAY_UNAVAILABLE = "gateway_unavailable"
    GATEWAY_REJECTED = "gateway_rejected"
    GATEWAY_PROTOCOL = "gateway_protocol"


class GatewayError(Exception):
    """Any failure talking to the gateway; `.code` is stable and machine-readable."""

    code: str = "gateway_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 retry_after_s: float | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.status = status
        # The reply's Retry-After in seconds, if it had one: when to try again
        # (the outbox's sync worker waits at least this long).
        self.retry_after_s = retry_after_s


class GatewayUnavailable(GatewayError):
    """Unreachable, timed out or failing (5xx) even after the allowed retries.

    Worth trying again later; for a call with an idempotency key, try again
    with the same key. `.code` is "department_unavailable" when the gateway
    answered that the department behind the call is down (not retried).
    """

    code = "gateway_unavailable"


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx); `.code` is the gateway's own,
    e.g. "insufficient_balance", "not_found", "unauthorized". Retrying the
    same request will not help."""

    code = "gateway_rejected"
    status: int

    def __init__(
        self, message: str, *, code: str | None = None, status: int,
        attempts_left: int | None = None, retry_after_s: float | None = None,
    ):
        super().__init__(message, code=code, status=status, retry_after_s=retry_after_s)
        # With code_wrong: how many more codes the citizen may try.
        self.attempts_left = attempts_left


class GatewayProtocolError(GatewayError):
    """The reply was not what the API promises: not JSON, missing or mistyped fields."""

    code = "gateway_protocol"
