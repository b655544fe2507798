"""Client of the government gateway: typed replies, typed errors, safe retries."""

from kiosk.api.client import GatewayClient
from kiosk.api.errors import (
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)
from kiosk.api.models import Holder, Voucher, VoucherBalance, VoucherIssue

__all__ = [
    "GatewayClient",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayRejected",
    "GatewayUnavailable",
    "Holder",
    "Voucher",
    "VoucherBalance",
    "VoucherIssue",
]
