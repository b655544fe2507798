"""`kiosk queue status|list|flush|retry|drop`: technicians' view of the outbox,
run as the command on the terminal state under KIOSK_HOME, against a real
sandbox gateway on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kiosk.app import outbox
from kiosk.config import Config
from kiosk.offline.outbox import Outbox
from kiosk.sandbox.server import SandboxServer
from tests.outbox_helpers import CARD, FEEDBACK_TEXT, FORMS, ID_NUMBER, SERVICES, enqueue, journal

KIOSK = [sys.executable, "-m", "kiosk.cli"]
PERSONAL = (CARD, ID_NUMBER, FEEDBACK_TEXT, FORMS["ic.library-card"]["email"])


def kiosk(home: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    head = [*KIOSK, *(["--config", str(config)] if config else [])]
    result = subprocess.run([*head, "queue", *args], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "KIOSK_HOME": str(home)})
    for secret in PERSONAL:  # whatever the command, nothing personal comes out
        assert secret not in result.stdout + result.stderr
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def terminal_outbox(home: Path) -> Outbox:
    return outbox(Config(), home)


def test_backend_down_then_up_each_queued_service_arrives_once(
        tmp_path: Path, kiosk_home: Path, sandbox: SandboxServer) -> None:
    box = terminal_outbox(kiosk_home)
    items = [enqueue(box, service, f"cli-{n}") for n, service in enumerate(SERVICES)]
    config = tmp_path / "terminal.toml"
    config.write_text(f'[backend]\nurl = "{sandbox.url}"\nretries = 0\n')
    sandbox.set_online(False)
    down = kiosk(kiosk_home, "flush", "--json", config=config)  # to the configured gateway
    assert down.returncode == 1, down.stderr
    assert as_json(down)["retry"] == [i.id for i in items]
    assert as_json(down)["pending"] == len(items)
    status = as_json(kiosk(kiosk_home, "status", "--json"))
    assert status["counts"]["pending"] == len(items)
    assert status["by_department"] == {s.split(".")[0]: {"pending": 1} for s in SERVICES}
    sandbox.set_online(True)
    up = kiosk(kiosk_home, "flush", "--backend", sandbox.url)
    assert up.returncode == 0, up.stderr
    assert "delivered 5, to retry 0, dead now 0; still waiting 0, dead letters 0" in up.stdout
    entries = journal(sandbox.url)
    assert sorted(t["idempotency_key"] for t in entries) == sorted(i.idempotency_key
                                                                 for i in items)
    assert not any(t["replayed"] for t in entries)
    assert sorted(t["service_id"] for t in entries) == sorted(SERVICES)
    again = kiosk(kiosk_home, "flush", "--backend", sandbox.url)
    assert "delivered 0" in again.stdout and len(journal(sandbox.url)) == len(items)


def test_list_and_status_show_nothing_personal(kiosk_home: Path) -> None:
    box = terminal_outbox(kiosk_home)
    for n, service in enumerate(SERVICES):
        enqueue(box, service, f"look-{n}")
    listed = kiosk(kiosk_home, "list")
    assert listed.returncode == 0
    assert [line.split()[:3] for line in listed.stdout.splitlines()] == [
        [str(n), "pending", service] for n, service in enumerate(SERVICES, 1)]
    rows = as_json(kiosk(kiosk_home, "list", "--json"))
    assert [r["idempotency_key"] for r in rows] == [f"look-{n}" for n in range(len(SERVICES))]
    assert all("payload" not in r and "form" not in r for r in rows)
    status = kiosk(kiosk_home, "status")
    assert status.stdout.startswith("pending 5  delivering 0  delivered 0  dead 0  dropped 0")
    assert "oldest waiting: 0m" in status.stdout
    assert kiosk(kiosk_home, "list", "--state", "dead").stdout == "no dead items\n"


def test_dead_letters_are_retried_or_dropped(kiosk_home: Path, sandbox: SandboxServer) -> None:
    box = terminal_outbox(kiosk_home)
    refused = enqueue(box, "fp.proof-of-life", "not-a-beneficiary", card="C0000002",
                      id_number="1288031(2)")
    fine = enqueue(box, "fp.proof-of-life", "beneficiary")
    flushed = kiosk(kiosk_home, "flush", "--backend", sandbox.url, "--json")
    assert flushed.returncode == 0, flushed.stderr
    report = as_json(flushed)
    assert (report["died"], report["delivered"], report["dead"]) == ([refused.id], [fine.id], 1)
    [dead] = as_json(kiosk(kiosk_home, "list", "--state", "dead", "--json"))
    assert dead["id"] == refused.id and dead["last_error"].startswith("nothing_to_do")
    retried = kiosk(kiosk_home, "retry", str(refused.id))
    assert retried.stdout == f"{refused.id} (fp.proof-of-life) is now pending\n"
    assert as_json(kiosk(kiosk_home, "drop", str(refused.id), "--json"))["state"] == "dropped"
    again = kiosk(kiosk_home, "drop", str(refused.id))
    assert again.returncode == 1 and "is dropped" in again.stderr
    assert kiosk(kiosk_home, "retry", str(fine.id)).returncode == 1  # delivered: nothing to do
    missing = kiosk(kiosk_home, "retry", "999")
    assert missing.returncode == 1 and "no queued item 999" in missing.stderr
    assert terminal_outbox(kiosk_home).get(refused.id).state.value == "dropped"


def test_flush_needs_a_gateway_that_keeps_state(kiosk_home: Path) -> None:
    result = kiosk(kiosk_home, "flush")
    assert result.returncode == 2
    assert "embedded sandbox" in result.stderr and "--backend URL" in result.stderr


def test_the_terminal_queues_into_the_state_the_command_reads(terminal: Any,
                                                              kiosk_home: Path) -> None:
    item = enqueue(terminal.outbox, "safp.feedback", "from-the-terminal")
    [row] = as_json(kiosk(kiosk_home, "list", "--json"))
    assert (row["id"], row["service_id"], row["state"]) == (item.id, "safp.feedback", "pending")
    # Sealed with the same key as the kept printouts: the command's outbox opens it.
    assert terminal_outbox(kiosk_home).payload(item.id)["form"]["text"] == FEEDBACK_TEXT
