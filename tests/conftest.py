"""Shared fixtures: a real sandbox gateway on loopback, a terminal on simulators.

Everything a test writes goes under its own tmp_path (KIOSK_HOME), so tests
never touch each other's state or the developer's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt draws offscreen in tests; one test (test_ui_x11) runs on a real X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kiosk.api.client import GatewayClient
from kiosk.config import Config, DeviceConfig
from kiosk.devices.cupsd_daemon import CupsdDaemon
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.server import SandboxServer

TERMINAL = "demo-terminal-01"
TOKEN = "sandbox-demo-token"
BALANCE = "/v1/ssm/vouchers/balance"
ISSUE = "/v1/ssm/vouchers/issue"
CHAN, LEI, SOUSA, WONG = DEMO_CITIZENS  # 6, 6, 3 and 0 vouchers available


@pytest.fixture
def kiosk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("KIOSK_HOME", str(home))
    return home


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path / "gateway.db", terminals={TERMINAL: TOKEN})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(sandbox: SandboxServer) -> SandboxServer:
    """The sandbox, under the name the gateway tests give it."""
    return sandbox


@pytest.fixture
def gateway(sandbox: SandboxServer) -> Iterator[GatewayClient]:
    client = GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=1, backoff_s=0.0,
                           sleep=lambda _s: None)
    yield client
    client.close()


def fast_config(**session: float) -> Config:
    """The demo config with simulators that do not dawdle (they still use threads)."""
    from kiosk.config import SessionConfig

    return Config(
        session=SessionConfig(**session) if session else SessionConfig(),
        devices={
            "card_reader": DeviceConfig(options={"read_delay_s": 0.05}),
            "camera": DeviceConfig(options={"fps": 60}),
            "printer": DeviceConfig(options={"seconds_per_page": 0.0}),
        },
    )


@pytest.fixture(scope="session")
def cupsd() -> Iterator[CupsdDaemon]:
    """A private cupsd with a cups-pdf queue. Not under pytest's tmp_path: its
    parents are private to root, and CUPS runs its filters as the lp user."""
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-cupsd-"))
    workdir.chmod(0o755)
    daemon = CupsdDaemon(workdir)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.close()
        shutil.rmtree(workdir, ignore_errors=True)


def journey_for(terminal, host, *, lang: str = "en", deliver_to=None):
    """A journey on ``terminal``'s parts, hosted by ``host``, with every device's
    status events delivered to it the way the UI delivers them (or to what
    ``deliver_to()`` returns then: a maintenance ``Front``)."""
    from kiosk.journey import Journey

    cfg = terminal.config
    journey = Journey(host=host, services=terminal.services, devices=terminal.devices,
                      gateway=terminal.gateway, face_verifier=terminal.face_verifier,
                      kept_prints=terminal.kept_prints, outbox=terminal.outbox,
                      trust=terminal.trust, terminal_id=cfg.terminal.id,
                      languages=cfg.terminal.languages, default_lang=lang,
                      timeouts=cfg.session, hours=cfg.service_hours)
    for device in terminal.devices.values():
        device.subscribe(lambda d, s: host.post(
            lambda: (deliver_to() if deliver_to else journey).on_device_status(d.name, s)))
    return journey


@pytest.fixture
def terminal(kiosk_home: Path, sandbox: SandboxServer):
    from kiosk.app import build_terminal

    term = build_terminal(fast_config(), backend_url=sandbox.url)
    yield term
    term.close()


@pytest.fixture
def host():
    """A Qt-free host for the journey: work runs on threads, the test pumps the results."""
    from kiosk.journey import ManualHost

    return ManualHost()


@pytest.fixture
def journey(host, terminal):
    """The terminal's journey on the attract screen."""
    j = journey_for(terminal, host)
    j.start()
    return j
