"""The terminal's metrics in the Prometheus text exposition format 0.0.4.

Written by hand (a few dozen lines) rather than with prometheus_client, so the
kiosk's runtime dependencies stay as they are; the tests parse the output with
prometheus_client's own parser.

Every label value is a device name, a state, an alert code, a service id, an
outcome or a wait's name: never anything a citizen typed or carried. Values that
come from the journey are checked against a conservative pattern and become
"other" if they do not fit, so a bug upstream cannot leak personal data here.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk import package_version
from kiosk.devices.alerts import Alert
from kiosk.devices.status import DeviceState, DeviceStatus
from kiosk.journey import SessionReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# What a label value from the journey may look like: ids and short codes only.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def app_version() -> str:
    return package_version() or "unknown"


def safe_label(value: str | None, none: str = "none") -> str:
    """``value`` if it is an id-like token, ``none`` for None, else "other"."""
    if value is None:
        return none
    return value if _SAFE_VALUE.fullmatch(value) else "other"


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


class Family:
    """One metric: its samples by label values. Thread-safe."""

    def __init__(self, name: str, kind: str, help_text: str, labels: Sequence[str]) -> None:
        if kind not in ("counter", "gauge"):
            raise ValueError(f"{name}: unsupported type {kind}")
        if not _NAME.fullmatch(name) or (kind == "counter") != name.endswith("_total"):
            raise ValueError(f"{name}: not a valid {kind} name (counters end in _total)")
        for label in labels:
            if not _LABEL.fullmatch(label) or label.startswith("__"):
                raise ValueError(f"{name}: bad label name {label!r}")
        self.name, self.kind, self.help, self.labels = name, kind, help_text, tuple(labels)
        self._lock = threading.Lock()
        self._samples: dict[tuple[str, ...], float] = {}

    def _key(self, values: Mapping[str, str]) -> tuple[str, ...]:
        if set(values) != set(self.labels):
            raise ValueError(f"{self.name}: labels {sorted(values)} != {sorted(self.labels)}")
        return tuple(str(values[label]) for label in self.labels)

    def inc(self, amount: float = 1.0, /, **labels: str) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._samples[key] = self._samples.get(key, 0.0) + amount

    def set(self, value: float, /, **labels: str) -> None:
        if self.kind == "counter":
            raise ValueError(f"{self.name}: a counter is not set")
        key = self._key(labels)
        with self._lock:
            self._samples[key] = float(value)

    def replace(self, samples: Iterable[tuple[Mapping[str, str], float]]) -> None:
        """A gauge's whole sample set at once (what a collector saw at scrape time)."""
        fresh = {self._key(labels): float(v) for labels, v in samples}
        with self._lock:
            self._samples = fresh

    def value(self, /, **labels: str) -> float:
        with self._lock:
            return self._samples.get(self._key(labels), 0.0)

    def render(self, const: Mapping[str, str]) -> str:
        with self._lock:
            samples = sorted(self._samples.items())
        lines = [f"# HELP {self.name} {escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for key, value in samples:
            pairs = {**const, **dict(zip(self.labels, key, strict=True))}
            text = ",".join(f'{k}="{escape_label(v)}"' for k, v in pairs.items())
            lines.append(f"{self.name}{{{text}}} {format_value(value)}" if text
                         else f"{self.name} {format_value(value)}")
        return "\n".join(lines) + "\n"


class Registry:
    """Families plus collectors run at each scrape; ``const`` labels on every sample."""

    def __init__(self, const: Mapping[str, str] | None = None) -> None:
        self.const = dict(const or {})
        self._families: dict[str, Family] = {}
        self._collectors: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.on_collect_error: Callable[[BaseException], None] | None = None

    def family(self, name: str, kind: str, help_text: str, labels: Sequence[str] = ()) -> Family:
        with self._lock:
            if name in self._families:
                raise ValueError(f"{name}: registered twice")
            fam = self._families[name] = Family(name, kind, help_text, labels)
        return fam

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Family:
        return self.family(name, "counter", help_text, labels)

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Family:
        return self.family(name, "gauge", help_text, labels)

    def collector(self, collect: Callable[[], None]) -> None:
        self._collectors.append(collect)

    def render(self) -> str:
        for collect in self._collectors:
            try:
                collect()
            except Exception as exc:  # a broken source must not take the endpoint down
                if self.on_collect_error is not None:
                    self.on_collect_error(exc)
        with self._lock:
            families = list(self._families.values())
        return "".join(f.render(self.const) for f in families)


class OutboxLike(Protocol):
    def status(self) -> Any: ...


class DeviceLike(Protocol):
    name: str

    @property
    def status(self) -> DeviceStatus: ...


class AlertsLike(Protocol):
    @property
    def active(self) -> list[Alert]: ...


class ConnectivityLike(Protocol):
    @property
    def online(self) -> bool | None: ...

    @property
    def departments_down(self) -> frozenset[str]: ...


SERVICE_STATES = ("in_service", "maintenance", "out_of_service")


@dataclass(frozen=True)
class Sources:
    """What the metrics read at scrape time (all optional but the terminal id)."""

    terminal_id: str
    devices: Mapping[str, DeviceLike]
    alerts: AlertsLike | None = None
    outbox: OutboxLike | None = None
    version: str = ""


class FleetMetrics:
    """The kiosk's metrics: live gauges read from the devices, alerts and outbox at
    each scrape; counters fed by the journey (session reports), the sync worker and
    the heartbeat. Thread-safe."""

    def __init__(self, sources: Sources, *, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.sources = sources
        self.version = sources.version or app_version()
        self._clock = clock
        self._started = clock()
        r = self.registry = Registry({"terminal": sources.terminal_id})
        r.on_collect_error = lambda exc: self.error(f"collect_{type(exc).__name__}")
        self.up = r.gauge("kiosk_up", "1 while the kiosk process runs")
        self.uptime = r.gauge("kiosk_uptime_seconds", "Seconds since the kiosk started")
        self.build = r.gauge("kiosk_build_info", "The kiosk's version (value 1)", ["version"])
        self.device_state = r.gauge(
            "kiosk_device_state", "1 for the state each device is in, 0 for the others",
            ["device", "state"])
        self.device_alert = r.gauge(
            "kiosk_device_alert", "1 per active alert field staff must see to",
            ["device", "code", "severity"])
        self.outbox_items = r.gauge("kiosk_outbox_items", "Outbox items by state", ["state"])
        self.outbox_age = r.gauge("kiosk_outbox_oldest_pending_age_seconds",
                                  "Age of the oldest undelivered outbox item (0 if none)")
        self.sessions = r.counter("kiosk_sessions_total", "Sessions ended, by service and outcome",
                                  ["service", "outcome"])
        self.waits = r.counter("kiosk_session_wait_seconds_total",
                               "Seconds citizens spent waiting, by what they waited for",
                               ["wait"])
        self.errors = r.counter("kiosk_errors_total", "Errors by kind", ["kind"])
        self.backend = r.gauge("kiosk_backend_online", "1 if the gateway answers, else 0")
        self.departments = r.gauge("kiosk_departments_down",
                                   "1 per department the gateway reports down", ["department"])
        self.service = r.gauge("kiosk_service_state",
                               "1 for the state the kiosk is in: in_service, maintenance "
                               "(a technician at it) or out_of_service", ["state"])
        # The connectivity monitor, once watched: read at each scrape (no missed change).
        self.connectivity: ConnectivityLike | None = None
        # Maintenance mode's state, once watched (kiosk.maintenance.mode.Maintenance.state).
        self.service_state: Callable[[], str] | None = None
        self.up.set(1)
        self.build.set(1, version=self.version)
        self.backend.set(0)
        r.collector(self._collect)

    # --- fed by the kiosk --------------------------------------------------

    def observe_session(self, report: SessionReport) -> None:
        if report.outcome == "failed":
            self.error("session_failed")
        self.sessions.inc(service=safe_label(report.service_id),
                          outcome=safe_label(report.outcome))
        for wait, seconds in report.waits.items():
            if seconds > 0:
                self.waits.inc(seconds, wait=safe_label(wait))

    def error(self, kind: str) -> None:
        self.errors.inc(kind=safe_label(kind))

    def set_backend(self, online: bool, down: Iterable[str] = ()) -> None:
        self.backend.set(1 if online else 0)
        self.departments.replace(({"department": safe_label(d)}, 1) for d in sorted(down))

    # --- read at scrape time ---------------------------------------------------

    def uptime_s(self) -> float:
        return max(0.0, self._clock() - self._started)

    def _collect(self) -> None:
        self.uptime.set(round(self.uptime_s(), 3))
        if self.connectivity is not None:
            self.set_backend(self.connectivity.online is True,
                             self.connectivity.departments_down)
        service = self.service_now()
        self.service.replace(({"state": s}, 1 if s == service else 0) for s in SERVICE_STATES)
        states = []
        for name, device in self.sources.devices.items():
            now = device.status.device
            states.extend(({"device": name, "state": s.value}, 1 if s is now else 0)
                          for s in DeviceState)
        self.device_state.replace(states)
        if self.sources.alerts is not None:
            self.device_alert.replace(
                ({"device": a.device, "code": a.condition, "severity": a.severity}, 1)
                for a in self.sources.alerts.active)
        if self.sources.outbox is not None:
            status = self.sources.outbox.status()
            self.outbox_items.replace(({"state": s}, n) for s, n in status.counts.items())
            self.outbox_age.set(status.oldest_pending_age_s or 0.0)

    def service_now(self) -> str:
        """in_service, maintenance or out_of_service (in service when not watched)."""
        state = self.service_state() if self.service_state is not None else "in_service"
        return {"pin": "maintenance", "open": "maintenance"}.get(state, state)

    def render(self) -> str:
        return self.registry.render()

    def snapshot(self) -> dict[str, Any]:
        """The heartbeat's body: the same facts, as JSON (nothing personal)."""
        if self.connectivity is not None:
            self.backend.set(1 if self.connectivity.online else 0)
        outbox: dict[str, int] = {}
        if self.sources.outbox is not None:
            outbox = {s: int(n) for s, n in self.sources.outbox.status().counts.items()}
        alerts = [] if self.sources.alerts is None else [
            {"device": a.device, "code": a.condition, "severity": a.severity}
            for a in self.sources.alerts.active]
        return {"terminal_id": self.sources.terminal_id, "app_version": self.version,
                "uptime_s": round(self.uptime_s(), 3),
                "devices": [{"name": n, "state": d.status.device.value}
                            for n, d in self.sources.devices.items()],
                "alerts": alerts, "outbox": outbox, "service_state": self.service_now(),
                "backend_online": bool(self.backend.value())}
