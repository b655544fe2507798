"""The fleet monitoring of one terminal: metrics, their endpoint and the heartbeat,
built from the terminal's parts and config ([fleet], docs/fleet.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from kiosk.api.client import GatewayClient
from kiosk.config.schema import Config
from kiosk.fleet.heartbeat import Heartbeat
from kiosk.fleet.metrics import (
    AlertsLike,
    ConnectivityLike,
    DeviceLike,
    FleetMetrics,
    OutboxLike,
    Sources,
)
from kiosk.fleet.server import MetricsServer, parse_listen
from kiosk.journey import SessionReport
from kiosk.offline.audit import AuditLog, terminal_audit_log
from kiosk.offline.sync import Outcome

log = logging.getLogger(__name__)


class Fleet:
    """``start`` serves the metrics and starts the heartbeat as the config says;
    ``session_ended``, ``backend_changed`` and ``outbox_outcome`` feed the metrics
    from any thread."""

    def __init__(self, config: Config, backend_url: str, devices: Mapping[str, DeviceLike], *,
                 alerts: AlertsLike | None = None, outbox: OutboxLike | None = None,
                 extra: Callable[[], dict[str, Any]] | None = None) -> None:
        self.config = config
        self.backend_url = backend_url
        self.metrics = FleetMetrics(Sources(config.terminal.id, devices, alerts, outbox))
        self.extra = extra
        self.server: MetricsServer | None = None
        self.heartbeat: Heartbeat | None = None
        self._client: GatewayClient | None = None

    def start(self) -> Fleet:
        fleet = self.config.fleet
        if fleet.metrics_listen and self.server is None:
            host, port = parse_listen(fleet.metrics_listen)
            try:
                self.server = MetricsServer(self.metrics.render, host, port).start()
            except OSError as exc:  # the port taken: the kiosk serves citizens anyway
                log.error("metrics endpoint not started on %s: %s", fleet.metrics_listen,
                          type(exc).__name__)
                self.metrics.error("metrics_listen")
        if fleet.heartbeat_s and self.heartbeat is None:
            # Its own client: the heartbeat's thread, no retries (the next beat is one).
            self._client = GatewayClient.for_terminal(self.config, self.backend_url, retries=0)
            self.heartbeat = Heartbeat(self._client, self.metrics.snapshot, fleet.heartbeat_s,
                                       extra=self.extra, on_error=self.metrics.error).start()
        return self

    def session_ended(self, report: SessionReport) -> None:
        self.metrics.observe_session(report)

    def outbox_outcome(self, outcome: Outcome) -> None:
        """The sync worker's ``on_outcome`` (``Terminal.start_sync(on_outcome=...)``):
        a failed delivery counts in ``kiosk_errors_total``, ``outbox_transient``
        when it will be tried again, ``outbox_permanent`` when the gateway refused
        it for good (a dead letter for a technician)."""
        kind = {"retry": "outbox_transient", "dead": "outbox_permanent"}.get(outcome.result)
        if kind is not None:
            self.metrics.error(kind)

    def backend_changed(self, online: bool, down: Iterable[str]) -> None:
        self.metrics.set_backend(online, down)

    def watch(self, connectivity: ConnectivityLike) -> None:
        """Read the gateway's and departments' state from the connectivity monitor."""
        self.metrics.connectivity = connectivity

    def stop(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self._client is not None:
            self._client.close()
            self._client = None


def start_fleet(terminal: Any, extra: Callable[[], dict[str, Any]] | None = None) -> Fleet:
    """``Terminal.start_fleet``: the terminal's fleet monitoring, started. ``extra``
    adds facts to each heartbeat; by default the audit log's head. The caller
    stops it."""
    return Fleet(terminal.config, terminal.backend_url, terminal.devices,
                 alerts=terminal.alerts, outbox=terminal.outbox,
                 extra=extra or audit_head(terminal.home)).start()


def audit_head(home: Path) -> Callable[[], dict[str, Any]]:
    """Each heartbeat carries the audit log's last (seq, hash): entries cut off
    the end of the log on the kiosk's disk, which its own chain cannot show,
    no longer match what the gateway last heard (docs/audit.md)."""
    opened: list[AuditLog] = []

    def head() -> dict[str, Any]:
        try:
            if not opened:
                opened.append(terminal_audit_log(home))
            seq, digest = opened[0].head()
        except Exception as e:  # the heartbeat goes on; its absence says enough
            log.warning("audit head not available: %s", type(e).__name__)
            return {}
        return {"audit_head": {"seq": seq, "hash": digest}}

    return head
