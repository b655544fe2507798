"""Fleet monitoring: the Prometheus endpoint scraped for real and parsed with
prometheus_client's parser, the heartbeat through the sandbox, the [fleet] config."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kiosk.api.client import GatewayClient
from kiosk.config import ConfigError, parse
from kiosk.devices.status import DeviceState
from kiosk.fleet.heartbeat import Heartbeat
from kiosk.fleet.metrics import Registry, safe_label
from kiosk.fleet.monitor import Fleet
from kiosk.fleet.server import MetricsServer, parse_listen
from kiosk.journey import SessionReport
from kiosk.sandbox.demo import personal_data
from kiosk.sandbox.server import SandboxServer
from tests.conftest import TERMINAL, TOKEN
from tests.service_driver import walk
from tests.test_privacy_logs import SERVICES

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> tuple[requests.Response, Samples]:
    resp = requests.get(url + "/metrics", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return resp, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset({"terminal": TERMINAL, **labels}.items())))


@pytest.fixture
def fleet(terminal) -> Any:
    """The terminal's fleet with its endpoint on a free loopback port, no heartbeat."""
    f = Fleet(terminal.config, terminal.backend_url, terminal.devices, alerts=terminal.alerts,
              outbox=terminal.outbox)
    f.server = MetricsServer(f.metrics.render, "127.0.0.1", 0).start()
    yield f
    f.stop()


def test_a_scrape_shows_devices_alerts_outbox_and_sessions(fleet, terminal) -> None:
    assert fleet.server is not None
    url = fleet.server.url
    assert url.startswith("http://127.0.0.1:")
    assert requests.get(url + "/health", timeout=5).json() == {"status": "ok"}
    _, before = scrape(url)
    assert value(before, "kiosk_up") == 1
    assert value(before, "kiosk_build_info", version=fleet.metrics.version) == 1
    assert value(before, "kiosk_uptime_seconds") is not None
    assert value(before, "kiosk_device_alert", device="printer", code="paper_out",
                 severity="error") is None
    # One-hot: every device has exactly one state at 1.
    for name in terminal.devices:
        states = [value(before, "kiosk_device_state", device=name, state=s.value)
                  for s in DeviceState]
        assert sorted(states) == [0] * (len(DeviceState) - 1) + [1], name

    printer = terminal.devices["printer"]
    printer.load_paper(0)
    printer.set_offline(True)
    terminal.outbox.enqueue(service_id="ssm.voucher-print", department="ssm",
                            idempotency_key="fleet-k1", payload={"x": 1},
                            summary={"count": 1})
    fleet.session_ended(SessionReport("s1", "ssm.voucher-print", "completed",
                                      {"backend": 1.5, "face": 0.25}))
    fleet.session_ended(SessionReport("s2", None, "timeout", {}))
    fleet.backend_changed(True, {"dsaj"})
    started = time.perf_counter()
    resp, after = scrape(url)
    took_ms = (time.perf_counter() - started) * 1000
    assert value(after, "kiosk_device_alert", device="printer", code="paper_out",
                 severity="error") == 1
    assert value(after, "kiosk_device_state", device="printer", state="offline") == 1
    assert value(after, "kiosk_device_state", device="printer", state="online") == 0
    assert value(after, "kiosk_outbox_items", state="pending") == 1
    assert value(after, "kiosk_outbox_items", state="dead") == 0
    assert value(after, "kiosk_sessions_total", service="ssm.voucher-print",
                 outcome="completed") == 1
    assert value(after, "kiosk_sessions_total", service="none", outcome="timeout") == 1
    assert value(after, "kiosk_session_wait_seconds_total", wait="backend") == 1.5
    assert value(after, "kiosk_backend_online") == 1
    assert value(after, "kiosk_departments_down", department="dsaj") == 1
    # Counters are declared as such (the parser strips _total from the family name).
    kinds = {f.name: f.type for f in text_string_to_metric_families(resp.text)}
    assert kinds["kiosk_sessions"] == "counter" and kinds["kiosk_device_state"] == "gauge"
    logging.getLogger(__name__).info("scrape %.1f ms, %d bytes", took_ms, len(resp.content))
    assert took_ms < 500


def test_label_values_are_escaped() -> None:
    registry = Registry({"terminal": "t"})
    weird = registry.gauge("kiosk_test", "help with \\ and\nnewline", ["value"])
    nasty = 'a "quoted" \\ back\nslash, {braces}=1'
    weird.set(2.5, value=nasty)
    text = registry.render()
    assert '\\"quoted\\" \\\\ back\\nslash' in text
    [family] = text_string_to_metric_families(text)
    assert family.documentation == "help with \\ and\nnewline"
    assert family.samples[0].labels == {"terminal": "t", "value": nasty}
    assert family.samples[0].value == 2.5
    # What comes from the journey is checked, not merely escaped.
    assert safe_label("Chan Tai Man 123") == "other" and safe_label(None) == "none"
    with pytest.raises(ValueError):
        registry.counter("kiosk_bad", "a counter must end in _total")


def test_no_personal_data_after_every_service(fleet, host, journey, terminal, sandbox) -> None:
    for service_id in SERVICES:
        done = walk(journey, host, terminal, service_id)
        assert done.outcome == "completed", (service_id, done.error)
    for report in host.reports:
        fleet.session_ended(report)
    assert fleet.server is not None
    resp, samples = scrape(fleet.server.url)
    assert sum(v for (n, _), v in samples.items() if n == "kiosk_sessions_total") \
        == len(host.reports) >= len(SERVICES)
    leaks = sorted({p for p in personal_data() if p in resp.text})
    assert leaks == []
    body = fleet.metrics.snapshot()
    assert not [p for p in personal_data() if p in repr(body)]


def test_heartbeat_reaches_the_sandbox(terminal, sandbox: SandboxServer) -> None:
    fleet = Fleet(terminal.config, terminal.backend_url, terminal.devices,
                  alerts=terminal.alerts, outbox=terminal.outbox,
                  extra=lambda: {"audit_head": "abc123"})
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0) as client:
        beat = Heartbeat(client, fleet.metrics.snapshot, 60, extra=fleet.extra)
        terminal.devices["printer"].load_paper(0)
        assert beat.beat()
        seen = requests.get(sandbox.url + "/_sandbox/heartbeats", timeout=5).json()
    entry = seen[TERMINAL]
    assert entry["count"] == 1
    hb = entry["heartbeat"]
    assert hb["terminal_id"] == TERMINAL and hb["extra"] == {"audit_head": "abc123"}
    assert {"device": "printer", "code": "paper_out", "severity": "error"} in hb["alerts"]
    assert {d["name"] for d in hb["devices"]} == set(terminal.devices)
    assert hb["outbox"]["pending"] == 0
    logging.getLogger(__name__).info("heartbeat %d bytes", beat.last_size)
    assert beat.last_size < 2000


def test_a_terminal_cannot_beat_for_another(sandbox: SandboxServer) -> None:
    resp = requests.post(sandbox.url + "/v1/terminals/someone-else/heartbeat", json={},
                         headers={"X-Terminal-Id": TERMINAL, "Authorization": f"Bearer {TOKEN}"},
                         timeout=5)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"


def test_heartbeat_with_the_gateway_down_does_not_raise_and_recovers(
        terminal, sandbox: SandboxServer, caplog) -> None:
    fleet = Fleet(terminal.config, terminal.backend_url, terminal.devices,
                  alerts=terminal.alerts, outbox=terminal.outbox)
    errors: list[str] = []
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0, connect_timeout=1,
                       read_timeout=2) as client:
        beat = Heartbeat(client, fleet.metrics.snapshot, 0.05,
                         on_error=lambda kind: (errors.append(kind), fleet.metrics.error(kind)))
        sandbox.set_online(False)
        with caplog.at_level(logging.INFO, logger="kiosk.fleet.heartbeat"):
            beat.start()
            deadline = time.monotonic() + 10
            while beat.failed < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert beat.failed >= 3 and beat.sent == 0
            sandbox.set_online(True)
            while beat.sent == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            beat.stop()
    assert beat.sent >= 1 and beat.last_error == ""
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "not delivered" in m]) == 1  # once per change
    assert len([m for m in messages if "delivered again" in m]) == 1
    assert fleet.metrics.errors.value(kind="heartbeat") == len(errors) >= 3


def test_fleet_starts_from_the_config_and_stops(terminal, sandbox: SandboxServer) -> None:
    from dataclasses import replace

    from kiosk.config.schema import FleetConfig

    terminal.config = replace(terminal.config, fleet=FleetConfig("127.0.0.1:0", 5))
    fleet = terminal.start_fleet()
    try:
        assert fleet.server is not None and fleet.heartbeat is not None
        _, samples = scrape(fleet.server.url)
        assert value(samples, "kiosk_up") == 1
        deadline = time.monotonic() + 5
        while fleet.heartbeat.sent == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert TERMINAL in requests.get(sandbox.url + "/_sandbox/heartbeats", timeout=5).json()
    finally:
        fleet.stop()
    assert fleet.server is None and fleet.heartbeat is None


def test_fleet_config_defaults_and_errors() -> None:
    cfg = parse("")
    assert cfg.fleet.metrics_listen == "127.0.0.1:9108" and cfg.fleet.heartbeat_s == 60
    off = parse('[fleet]\nmetrics_listen = ""\nheartbeat_s = 0\n')
    assert off.fleet.metrics_listen == "" and off.fleet.heartbeat_s == 0
    assert parse('[fleet]\nmetrics_listen = "[::1]:9108"\n').fleet.metrics_listen
    for text, key in [('metrics_listen = "9108"', "fleet.metrics_listen"),
                      ('metrics_listen = "0.0.0.0:99999"', "fleet.metrics_listen"),
                      ("metrics_listen = 9108", "fleet.metrics_listen"),
                      ("heartbeat_s = 2", "fleet.heartbeat_s"),
                      ("heartbeat_s = -1", "fleet.heartbeat_s"),
                      ('heartbeat_s = "60"', "fleet.heartbeat_s"),
                      ("port = 1", "fleet.port")]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            parse(f"[fleet]\n{text}\n")
    assert parse_listen("[::1]:9108") == ("::1", 9108)
    with pytest.raises(ValueError):
        parse_listen("localhost")


def test_the_heartbeat_carries_the_audit_log_s_head(terminal) -> None:
    from kiosk.fleet.monitor import audit_head
    from kiosk.offline.audit import GENESIS, terminal_audit_log

    head = audit_head(terminal.home)
    assert head() == {"audit_head": {"seq": 0, "hash": GENESIS}}
    entry = terminal_audit_log(terminal.home).append("cli", "queue.drop", item=7)
    assert head() == {"audit_head": {"seq": entry.seq, "hash": entry.hash}}


def test_a_kiosk_in_maintenance_or_out_of_service_says_so(fleet, terminal,
                                                           sandbox: SandboxServer) -> None:
    """The monitoring stack alerts on a kiosk left out of service: one state at 1."""
    assert fleet.server is not None
    _, samples = scrape(fleet.server.url)
    assert value(samples, "kiosk_service_state", state="in_service") == 1
    state = ["open"]
    fleet.metrics.service_state = lambda: state[0]
    _, samples = scrape(fleet.server.url)
    assert value(samples, "kiosk_service_state", state="maintenance") == 1
    assert value(samples, "kiosk_service_state", state="in_service") == 0
    state[0] = "out_of_service"
    _, samples = scrape(fleet.server.url)
    assert value(samples, "kiosk_service_state", state="out_of_service") == 1
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0) as client:
        assert Heartbeat(client, fleet.metrics.snapshot, 60).beat()
    seen = requests.get(sandbox.url + "/_sandbox/heartbeats", timeout=5).json()
    assert seen[TERMINAL]["heartbeat"]["service_state"] == "out_of_service"
