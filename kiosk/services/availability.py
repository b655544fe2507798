"""Can a citizen use a service right now, and if not, why (in their language)?

In order: a plugin that failed to load; the service's opening hours; the
devices it needs; its department's backend (unless its offline policy lets it
work without).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from kiosk.devices.status import DeviceStatus
from kiosk.services.contract import OfflinePolicy, Service


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str | None = None  # text key
    device: str | None = None  # which device, for technicians
    values: Mapping[str, Any] = field(default_factory=dict)  # to fill the reason's text


def parse_hours(span: str) -> tuple[time, time]:
    """``"09:00-17:45"`` → (09:00, 17:45); "24:00" is the end of the day."""
    start, end = span.split("-")
    return _time(start), _time(end)


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def open_at(span: str, now: datetime) -> bool:
    start, end = parse_hours(span)
    moment = now.time()
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # overnight, e.g. 22:00-06:00


def availability(service: Service, statuses: Mapping[str, DeviceStatus],
                 backend_online: bool, *, now: datetime | None = None,
                 hours: Mapping[str, str] | None = None,
                 departments_down: Collection[str] = ()) -> Availability:
    if service.broken:
        return Availability(False, "unavailable.broken")
    span = (hours or {}).get(service.id) or (hours or {}).get(service.department)
    if span and not open_at(span, now or datetime.now()):
        start, end = span.split("-")
        return Availability(False, "unavailable.hours", values={"opens": start, "closes": end})
    for name in service.devices:
        status = statuses.get(name)
        if status is None:
            return Availability(False, f"unavailable.{name}.noDevice", name)
        if not status.usable:
            return Availability(False, f"unavailable.{name}.{status.reason}", name)
    if service.offline is OfflinePolicy.ONLINE:
        if not backend_online:
            return Availability(False, "unavailable.backend")
        if service.department in departments_down:
            return Availability(False, "unavailable.department")
    return Availability(True)
