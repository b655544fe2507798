"""With the backend down, the queue services complete, and hand over a slip saying
so; the request waits in the outbox and is delivered once when the link is back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from kiosk.offline.outbox import State
from tests.service_driver import walk

QUEUED = ["fss.proof-of-life", "ias.proof-of-life", "fp.proof-of-life", "safp.feedback",
          "ic.library-card"]


def _transactions(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/transactions", timeout=5).json()


@pytest.mark.parametrize("service_id", QUEUED)
def test_with_the_backend_down_queue_services_complete_and_deliver_later(
        service_id: str, host, journey, terminal, sandbox) -> None:
    journey.set_backend_online(False)
    assert dict((s.id, a) for s, a in journey.catalog())[service_id].available
    done = walk(journey, host, terminal, service_id)
    assert done.error is None and done.outcome == "completed", (done.error, done.screens)
    [item] = terminal.outbox.list()
    assert item.state is State.PENDING and item.service_id == service_id
    assert not [t for t in _transactions(sandbox) if t.get("service_id") == service_id]
    # The slip, if one printed, says it will be delivered.
    for pdf in Path(terminal.devices["printer"].out_dir).glob("*.pdf"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Q" + item.idempotency_key[:6].upper() in "".join(text.split())
    # Back online: the sync worker's flush delivers it, once, with the session's key.
    from kiosk.app import outbox_delivery
    from kiosk.offline.sync import SyncWorker

    worker = SyncWorker(terminal.outbox, outbox_delivery(terminal.gateway))
    worker.flush()
    worker.flush()  # a second flush finds nothing left to do
    assert terminal.outbox.get(item.id).state is State.DELIVERED
    mine = [t for t in _transactions(sandbox) if t.get("service_id") == service_id]
    assert [t["idempotency_key"] for t in mine] == [item.idempotency_key]


def test_an_online_service_is_not_queued_when_the_gateway_fails(host, journey, terminal,
                                                                sandbox) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"department": "dsf",
                  "mode": "error", "status": 503}, timeout=5)
    done = walk(journey, host, terminal, "dsf.income-certificate")
    assert done.error == "error.gateway.gateway_unavailable"
    assert terminal.outbox.list() == []


def test_a_queue_service_found_unreachable_on_trying_is_queued(host, journey, terminal,
                                                               sandbox) -> None:
    # The kiosk believes the link is up; the department fails on the call itself.
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"department": "safp",
                  "mode": "error", "status": 503}, timeout=5)
    done = walk(journey, host, terminal, "safp.feedback")
    assert done.outcome == "completed" and "done" in done.screens
    [item] = terminal.outbox.list()
    assert item.state is State.PENDING


def test_the_terminals_sync_worker_delivers_in_the_background(host, journey, terminal,
                                                              sandbox) -> None:
    import threading

    journey.set_backend_online(False)
    walk(journey, host, terminal, "fp.proof-of-life")
    [item] = terminal.outbox.list()
    delivered = threading.Event()
    sync = terminal.start_sync(
        lambda outcome: delivered.set() if outcome.result == "delivered" else None)
    assert sync is not None and terminal.start_sync() is sync  # one worker
    sync.wake(retry_now=True)
    assert delivered.wait(20), terminal.outbox.get(item.id)
    assert terminal.outbox.get(item.id).state is State.DELIVERED
    assert [t["idempotency_key"] for t in _transactions(sandbox)
            if t.get("service_id") == "fp.proof-of-life"] == [item.idempotency_key]


def test_a_corrupt_state_file_is_set_aside_and_the_kiosk_serves(kiosk_home, sandbox,
                                                                 caplog) -> None:
    import logging

    from kiosk.app import build_terminal
    from tests.conftest import fast_config

    state = kiosk_home / "state"
    state.mkdir(parents=True)
    (state / "terminal.db").write_bytes(b"\x00garbage" * 1000)
    with caplog.at_level(logging.ERROR, logger="kiosk.offline.store"):
        term = build_terminal(fast_config(), backend_url=sandbox.url)
    try:
        assert any("ALARM" in r.getMessage() for r in caplog.records)
        assert list(state.glob("terminal.db.corrupt-*"))
        assert term.outbox is not None and term.outbox.list() == []
        assert len(term.services) == 28  # online services are still offered
    finally:
        term.close()
