"""Client of the government gateway: typed replies, typed errors, safe retries."""

from kiosk.api.client import GatewayClient
from kiosk.api.errors import (
    ErrorCode,
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)
from kiosk.api.models import (
    Application,
    Holder,
    Lookup,
    OtpChallenge,
    Payment,
    PaymentItem,
    PaymentStatus,
    Profile,
    Refund,
    Submission,
    Voucher,
    VoucherBalance,
    VoucherIssue,
)

__all__ = [
    "Application",
    "ErrorCode",
    "GatewayClient",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayRejected",
    "GatewayUnavailable",
    "Holder",
    "Lookup",
    "OtpChallenge",
    "Payment",
    "PaymentItem",
    "PaymentStatus",
    "Profile",
    "Refund",
    "Submission",
    "Voucher",
    "VoucherBalance",
    "VoucherIssue",
]
