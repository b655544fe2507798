"""Turn any exception a step meets into a text key the citizen can read."""

from __future__ import annotations

from kiosk.api.errors import GatewayError
from kiosk.devices.base import DeviceError
from kiosk.i18n import has
from kiosk.identity.card import CardDataError
from kiosk.identity.face import FaceError


def message_for(exc: BaseException) -> str:
    """The text key for ``exc``: the most specific one the catalogue has."""
    if isinstance(exc, DeviceError):
        family, code = "error.device", exc.code
    elif isinstance(exc, GatewayError):
        family, code = "error.gateway", exc.code
    elif isinstance(exc, CardDataError):
        family, code = "error.card", exc.code
    elif isinstance(exc, FaceError):
        family, code = "error.face", exc.code
    else:
        return "error.unexpected"
    specific = f"{family}.{code}"
    return specific if has(specific) else f"{family}.other"
