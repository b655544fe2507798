"""`kiosk run`, the production entry point: it refuses to start without a config,
starts the kiosk logging to the journal and telling systemd it is ready, stops
cleanly on SIGTERM, and re-executes itself in place when asked to restart.
Also: the outbox's failed deliveries counted in the fleet metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kiosk.api.client import GatewayClient
from kiosk.app import outbox_delivery
from kiosk.cli_run import RESTART_EXIT_CODE
from kiosk.config import CONFIG_VERSION
from kiosk.fleet.monitor import Fleet
from kiosk.fleet.server import MetricsServer
from kiosk.offline.sync import SyncWorker
from kiosk.sandbox.server import SandboxServer
from tests.conftest import TERMINAL, TOKEN
from tests.outbox_helpers import enqueue
from tests.test_logs import parse_native

REPO = Path(__file__).resolve().parent.parent
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIOSK_CONFIG", "NOTIFY_SOCKET",
                        "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(KIOSK_HOME=str(home), PYTHONPATH=str(REPO), **extra)
    return env


def test_run_without_a_config_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run([*KIOSK, "run"], env=env_for(tmp_path / "home"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "kiosk run: no configuration file" in result.stderr
    assert "kiosk --config /etc/kiosk/terminal.toml run" in result.stderr


def test_run_with_a_missing_config_file_names_it(tmp_path: Path) -> None:
    result = subprocess.run([*KIOSK, "--config", str(tmp_path / "nope.toml"), "run"],
                            env=env_for(tmp_path / "home"), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "nope.toml" in result.stderr


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[tuple[socket.socket, socket.socket]]:
    """A journal socket and a notify socket, as systemd gives a service."""
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(str(tmp_path / "journal"))
    notify.bind(str(tmp_path / "notify"))
    for s in (journal, notify):
        s.settimeout(90)
    yield journal, notify
    journal.close()
    notify.close()


def test_run_starts_logs_to_the_journal_and_stops_on_sigterm(
        tmp_path: Path, sockets: tuple[socket.socket, socket.socket]) -> None:
    journal, notify = sockets
    config = tmp_path / "terminal.toml"
    config.write_text(f'version = {CONFIG_VERSION}\n[terminal]\nid = "bench-07"\n'
                      '[fleet]\nmetrics_listen = ""\nheartbeat_s = 0\n'
                      '[logging]\ntarget = "auto"\nlevel = "INFO"\n')
    env = env_for(tmp_path / "home", QT_QPA_PLATFORM="offscreen", JOURNAL_STREAM="8:1",
                  KIOSK_JOURNAL_SOCKET=str(tmp_path / "journal"),
                  NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="400000")
    kiosk = subprocess.Popen([*KIOSK, "--config", str(config), "run"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        entries = []
        while not any(e["MESSAGE"] == "kiosk on screen" for e in entries):
            entries.append(parse_native(journal.recv(1 << 20)))
        assert notify.recv(4096) == b"READY=1"
        # A watchdog ping comes from a timer of the event loop: it runs, so a
        # SIGTERM now ends it (before app.exec(), quit() would do nothing).
        assert notify.recv(4096) == b"WATCHDOG=1"
        kiosk.send_signal(signal.SIGTERM)
        _, stderr = kiosk.communicate(timeout=60)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
    assert kiosk.returncode == 0, stderr
    while (said := notify.recv(4096)) == b"WATCHDOG=1":
        pass
    assert said == b"STOPPING=1"
    journal.setblocking(False)
    while True:  # what it logged on the way out, all sent before it exited
        try:
            entries.append(parse_native(journal.recv(1 << 20)))
        except BlockingIOError:
            break
    messages = [e["MESSAGE"] for e in entries]
    assert messages[0] == "logging to the journal at INFO"
    assert any(m.startswith("kiosk ") and "starting: terminal bench-07, config "
               f"{config}" in m for m in messages)
    assert messages[-1] == "kiosk stopped (exit 0)"
    assert {e["SYSLOG_IDENTIFIER"] for e in entries} == {"kiosk"}
    assert all(e["PRIORITY"] in {"2", "3", "4", "6", "7"} for e in entries)
    assert not (tmp_path / "home" / "logs").exists()  # the journal, not files


# --- restarting in place ---------------------------------------------------------------------

RESTARTS = """
import os, sys
from pathlib import Path
from kiosk.cli_run import RESTART_EXIT_CODE, restart_if_asked
marks = Path(sys.argv[1])
runs = marks.read_text().splitlines() if marks.exists() else []
marks.write_text("".join(f"{line}\\n" for line in [*runs, f"{os.getpid()} {sys.argv[1:]}"]))
if not runs:
    restart_if_asked(RESTART_EXIT_CODE)
    sys.exit("restart_if_asked returned instead of restarting")
sys.exit(restart_if_asked(3))
"""


def test_a_restart_asked_for_re_executes_the_same_command_in_place(
        tmp_path: Path, sockets: tuple[socket.socket, socket.socket]) -> None:
    _, notify = sockets
    marks = tmp_path / "runs"
    result = subprocess.run([sys.executable, "-c", RESTARTS, str(marks), "--windowed"],
                            env=env_for(tmp_path, NOTIFY_SOCKET=str(tmp_path / "notify")),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr  # the second run's own code, passed on
    first, second = marks.read_text().splitlines()
    assert first == second  # the same PID (exec, not a child) and the same arguments
    assert first.endswith(f"['{marks}', '--windowed']")
    assert notify.recv(4096) == b"RELOADING=1\nSTATUS=restarting for new settings"


def test_the_restart_code_is_the_one_the_ui_returns() -> None:
    from kiosk.ui.run import RESTART_EXIT_CODE as UI_RESTART

    assert RESTART_EXIT_CODE == UI_RESTART


# --- the outbox's failures in the fleet metrics ----------------------------------------------


def test_failed_deliveries_are_counted_by_kind(terminal, sandbox: SandboxServer) -> None:
    fleet = Fleet(terminal.config, terminal.backend_url, terminal.devices,
                  outbox=terminal.outbox)
    fleet.server = MetricsServer(fleet.metrics.render, "127.0.0.1", 0).start()
    try:
        enqueue(terminal.outbox, "fss.proof-of-life", "fleet-ok")
        # Not a beneficiary: refused for good, a dead letter.
        enqueue(terminal.outbox, "fp.proof-of-life", "fleet-refused", card="C0000002",
                id_number="1288031(2)")
        # The department answers 503, again in an hour: tried once, kept.
        sandbox.faults.add(mode="error", department="ias", status=503, retry_after=3600,
                           times=1)
        enqueue(terminal.outbox, "ias.proof-of-life", "fleet-later")
        # As kiosk.ui.run wires it: the sync worker tells the fleet of every attempt.
        sync = terminal.start_sync(on_outcome=fleet.outbox_outcome)
        assert sync is not None
        sync.flush()  # waits for the worker's pass, then tries what is still due
        counts = terminal.outbox.status().counts
        assert (counts["delivered"], counts["dead"], counts["pending"]) == (1, 1, 1)
        text = requests.get(fleet.server.url + "/metrics", timeout=5).text
    finally:
        fleet.stop()
    errors = {s.labels["kind"]: s.value for f in text_string_to_metric_families(text)
              for s in f.samples if s.name == "kiosk_errors_total"}
    assert errors == {"outbox_transient": 1, "outbox_permanent": 1}
    assert all(s.labels["terminal"] == TERMINAL for f in text_string_to_metric_families(text)
               for s in f.samples)
    assert TOKEN not in text


def test_a_delivery_that_keeps_failing_counts_each_attempt(terminal) -> None:
    fleet = Fleet(terminal.config, terminal.backend_url, terminal.devices)
    client = GatewayClient("http://127.0.0.1:9", TERMINAL, TOKEN, retries=0)  # nobody there
    worker = SyncWorker(terminal.outbox, outbox_delivery(client),
                        on_outcome=fleet.outbox_outcome)
    enqueue(terminal.outbox, "safp.feedback", "fleet-unreachable")
    for _ in range(3):
        worker.flush(force=True)  # a technician's "now", past the backoff
    client.close()
    assert fleet.metrics.errors.value(kind="outbox_transient") == 3
    assert fleet.metrics.errors.value(kind="outbox_permanent") == 0
