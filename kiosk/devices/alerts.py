"""What field staff must be told about the devices: paper low, paper out, offline ...

Watches every device's status events; each condition that needs a person
(reload paper, close a cover, reconnect a reader) becomes an alert, logged once
when it starts and once when it clears, and written to a small JSON file that
the technician's tools and the fleet heartbeat read. Paper low is the early
warning: the printer still prints, but someone should come with a roll.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.devices.base import Device
from kiosk.devices.status import (
    CardReaderStatus,
    DeviceState,
    DeviceStatus,
    Media,
    Paper,
    PrinterStatus,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    device: str
    condition: str  # "paper_low", "paper_out", "cover_open", "offline" ...
    severity: str  # "warning": still works; "error": out of use
    since: float


def conditions(status: DeviceStatus) -> dict[str, str]:
    """Every alert condition a status shows (a printer can be out of paper with its
    cover open: both need doing), with its severity."""
    found: dict[str, str] = {}
    if status.device not in (DeviceState.ONLINE, DeviceState.BUSY):
        found[status.device.value] = "error"
    if isinstance(status, PrinterStatus):
        if status.paper is Paper.OUT:
            found["paper_out"] = "error"
        elif status.paper is Paper.LOW:
            found["paper_low"] = "warning"
        if status.cover_open:
            found["cover_open"] = "error"
        if status.jammed:
            found["paper_jam"] = "error"
    if isinstance(status, CardReaderStatus) and status.media is Media.JAMMED:
        found["card_jammed"] = "error"
    return found


class DeviceAlerts:
    def __init__(self, devices: Iterable[Device], path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._alerts: dict[tuple[str, str], Alert] = {}
        for device in devices:
            self._update(device.name, device.status)
            device.subscribe(lambda d, s: self._update(d.name, s))

    @property
    def active(self) -> list[Alert]:
        with self._lock:
            return sorted(self._alerts.values(), key=lambda a: (a.device, a.condition))

    def _update(self, name: str, status: DeviceStatus) -> None:
        now = conditions(status)
        with self._lock:
            before = {c for d, c in self._alerts if d == name}
            for condition in before - now.keys():
                del self._alerts[(name, condition)]
                log.info("ALERT cleared: %s %s", name, condition)
            for condition in now.keys() - before:
                self._alerts[(name, condition)] = Alert(name, condition, now[condition],
                                                        time.time())
                log.warning("ALERT %s: %s %s", now[condition], name, condition)
            changed = before != now.keys()
            snapshot = sorted(self._alerts.values(), key=lambda a: (a.device, a.condition))
        if changed and self.path is not None:
            self._write(snapshot)

    def _write(self, alerts: list[Alert]) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([asdict(a) for a in alerts], indent=2))
        tmp.replace(self.path)  # readers see the old list or the new, never half


def read_alerts(path: Path) -> list[Alert]:
    """The alerts a running kiosk last wrote (none if it never did)."""
    try:
        return [Alert(**a) for a in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []
