"""Typed gateway errors: the journey maps `.code` to a message for the citizen.

Messages are for developers and logs, so they never carry personal data:
they name endpoints and fields, never values.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Any failure talking to the gateway; `.code` is stable and machine-readable."""

    code: str = "gateway_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.status = status


class GatewayUnavailable(GatewayError):
    """Unreachable, timed out or failing (5xx) even after the allowed retries.

    Worth trying again later; for a call with an idempotency key, try again
    with the same key.
    """

    code = "gateway_unavailable"


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx); `.code` is the gateway's own,
    e.g. "insufficient_balance", "not_found", "unauthorized". Retrying the
    same request will not help."""

    code = "gateway_rejected"
    status: int

    def __init__(self, message: str, *, code: str | None = None, status: int):
        super().__init__(message, code=code, status=status)


class GatewayProtocolError(GatewayError):
    """The reply was not what the API promises: not JSON, missing or mistyped fields."""

    code = "gateway_protocol"
