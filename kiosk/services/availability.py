"""Can a citizen use a service right now, and if not, why (in their language)?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.devices.status import DeviceStatus
from kiosk.services.contract import OfflinePolicy, Service


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str | None = None  # text key
    device: str | None = None  # which device, for technicians


def availability(service: Service, statuses: Mapping[str, DeviceStatus],
                 backend_online: bool) -> Availability:
    for name in service.devices:
        status = statuses.get(name)
        if status is None:
            return Availability(False, f"unavailable.{name}.noDevice", name)
        if not status.usable:
            return Availability(False, f"unavailable.{name}.{status.reason}", name)
    if not backend_online and service.offline is OfflinePolicy.ONLINE:
        return Availability(False, "unavailable.backend")
    return Availability(True)
