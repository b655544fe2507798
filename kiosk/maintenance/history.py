"""Each device's recent status changes and tests, for the maintenance screens.

A technician arriving at a kiosk wants to know what happened before they came:
when the printer ran out, how often the reader dropped offline, what the last
tests said. Kept in memory only (a restart is itself an event the log keeps),
bounded per device, and free of personal data: a status holds none.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from kiosk.devices.base import Device
from kiosk.devices.status import DeviceStatus

if TYPE_CHECKING:  # annotations only: `kiosk devices` need not load the card's cryptography
    from kiosk.maintenance.diagnostics import Diagnosis


@dataclass(frozen=True)
class StatusChange:
    at: datetime  # UTC
    device: str
    state: str  # DeviceState value: "online", "offline", "hardwareError" ...
    reason: str  # status.reason: "" when usable, else "paper_out", "offline" ...
    detail: Mapping[str, Any]  # the status's other fields, plain: detail, media, paper ...


def plain_fields(status: DeviceStatus) -> dict[str, Any]:
    """The status's fields other than ``device``, enums as their values."""
    return {k: (v.value if isinstance(v, Enum) else v)
            for k, v in asdict(status).items() if k != "device"}


class DeviceHistory:
    """Subscribes to ``devices``; keeps each one's last ``keep`` changes and tests.

    A change is a status that differs from the one before it in state, reason
    or fields; the status a device had when the history started is the first
    "before", not a change (nobody saw it happen).
    """

    def __init__(self, devices: Mapping[str, Device], keep: int = 50,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.keep = keep
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._changes: dict[str, deque[StatusChange]] = {}
        self._tests: dict[str, deque[Diagnosis]] = {}
        self._last: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        for name, device in devices.items():
            with self._lock:  # the first event may come before this loop ends
                self._last[name] = self._key(device.status)
                self._changes[name] = deque(maxlen=keep)
            self._unsubscribe.append(device.subscribe(
                lambda _d, status, name=name: self._changed(name, status)))

    @staticmethod
    def _key(status: DeviceStatus) -> tuple[str, str, dict[str, Any]]:
        return status.device.value, status.reason, plain_fields(status)

    def _changed(self, name: str, status: DeviceStatus) -> None:
        key = self._key(status)
        with self._lock:
            if self._last.get(name) == key:
                return
            self._last[name] = key
            state, reason, fields = key
            change = StatusChange(self._clock(), name, state, reason, MappingProxyType(fields))
            self._changes.setdefault(name, deque(maxlen=self.keep)).append(change)

    def of(self, name: str) -> list[StatusChange]:
        """``name``'s status changes, newest first (none for an unknown device)."""
        with self._lock:
            return list(reversed(self._changes.get(name, ())))

    def record(self, diagnosis: Diagnosis) -> None:
        """Keep a test's result beside the device's changes."""
        with self._lock:
            self._tests.setdefault(diagnosis.device, deque(maxlen=self.keep)).append(diagnosis)

    def tests_of(self, name: str) -> list[Diagnosis]:
        """``name``'s recorded tests, newest first."""
        with self._lock:
            return list(reversed(self._tests.get(name, ())))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
