"""The outbox under the worst a kiosk meets: kill -9 while it enqueues, kill -9
while it replays (also in the moment the gateway has applied a transaction and
its reply is still on the way), and a backend going down and up during a burst.
What is acknowledged is never lost; the sandbox's journal shows every
transaction applied once, replays flagged, in order per department."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
from pathlib import Path

from kiosk.api.client import GatewayClient
from kiosk.app import gateway_probe, outbox_delivery
from kiosk.offline.connectivity import Connectivity
from kiosk.offline.outbox import Outbox
from kiosk.offline.sync import Outcome, SyncWorker
from kiosk.sandbox.server import SandboxServer
from tests.conftest import TERMINAL, TOKEN
from tests.outbox_child import service_of
from tests.outbox_helpers import (
    CARD,
    FEEDBACK_TEXT,
    ID_NUMBER,
    SERVICES,
    applied,
    enqueue,
    journal,
    open_outbox,
    payload,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 20
DELIVERED = re.compile(r"^kiosk\.offline\.sync outbox item (\d+) \(\S+\) delivered")


def child(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.outbox_child", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "KIOSK_HOME": str(home)})


def kill(proc: subprocess.Popen[str]) -> str:
    """SIGKILL, as a power cut or the OOM killer would; what it printed after."""
    proc.kill()
    rest, _ = proc.communicate(timeout=30)
    return rest


def test_kill_during_enqueue_loses_nothing_acknowledged(tmp_path: Path,
                                                        sandbox: SandboxServer) -> None:
    home = tmp_path / "home"
    rng = random.Random(7)
    acknowledged: dict[str, int] = {}
    last = None
    for round_no in range(ROUNDS):
        # Each round also enqueues the last key of the round before again.
        proc = child(home, "enqueue", str(round_no), *(last or ()))
        wanted, seen = rng.randint(1, 40), 0
        assert proc.stdout is not None
        for line in proc.stdout:
            kind, item_id, key = line.split()
            if kind == "dup":
                assert acknowledged[key] == int(item_id)  # the same item, not a second one
                continue
            acknowledged[key] = int(item_id)
            last = (key, service_of(key))
            seen += 1
            if seen == wanted:
                break
        kill(proc)  # most likely in the middle of the next enqueue
    box = open_outbox(home)
    items = box.list()
    assert len({i.idempotency_key for i in items}) == len(items)
    by_key = {i.idempotency_key: i for i in items}
    for key, item_id in acknowledged.items():
        assert by_key[key].id == item_id
    for round_no in range(ROUNDS):
        # What survived of a round is a whole prefix of what it enqueued: no gaps.
        indexes = sorted(int(k.rsplit("-", 1)[1]) for k in by_key if k.startswith(
            f"r{round_no:02d}-"))
        assert indexes == list(range(len(indexes)))
    for item in items:  # every record whole, payload included, acknowledged or not
        assert box.payload(item.id) == payload(service_of(item.idempotency_key))
    with GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0) as client:
        report = SyncWorker(box, outbox_delivery(client)).flush()
    assert (len(report.delivered), report.pending, report.dead) == (len(items), 0, 0)
    assert applied(sandbox.url) == dict.fromkeys(by_key, 1)


def test_kill_during_replay_applies_each_transaction_once(tmp_path: Path,
                                                          sandbox: SandboxServer) -> None:
    home = tmp_path / "home"
    box = open_outbox(home, resume=False)  # the test's own hand: it only enqueues
    rng = random.Random(11)
    queued: dict[str, list[str]] = {}  # department -> keys in the order taken

    def take(count: int) -> None:
        for _ in range(count):
            n = sum(map(len, queued.values()))
            service = SERVICES[n % len(SERVICES)]
            key = f"replay-{n:04d}"
            enqueue(box, service, key)
            queued.setdefault(service.split(".")[0], []).append(key)

    take(20)
    cut_replies = 0
    log = ""
    for round_no in range(ROUNDS):
        take(4)
        if round_no % 2:
            # Killed after the gateway applied the submit, before its reply came back.
            before = len(journal(sandbox.url))
            sandbox.faults.add(mode="slow", path_prefix="/v1/services/submit",
                               after_handler=True, delay_s=60, times=1)
            proc = child(home, "flush", sandbox.url)
            wait_for(lambda before=before: len(journal(sandbox.url)) > before)
            log += kill(proc)
            sandbox.faults.clear()  # lets go of the held reply
            cut_replies += 1
        else:
            proc = child(home, "flush", sandbox.url)
            wanted, seen = rng.randint(0, 6), 0
            assert proc.stdout is not None
            while seen < wanted:
                line = proc.stdout.readline()
                log += line
                if not line:
                    break
                seen += bool(DELIVERED.match(line))
            log += kill(proc)
    final = child(home, "flush", sandbox.url)
    log += final.communicate(timeout=60)[0]
    assert final.returncode == 0, log
    everything = [k for keys in queued.values() for k in keys]
    status = open_outbox(home, resume=False).status()
    assert status.counts["delivered"] == len(everything), status
    assert applied(sandbox.url) == dict.fromkeys(everything, 1)
    entries = journal(sandbox.url)
    replays = [t for t in entries if t["replayed"]]
    assert len(replays) >= cut_replies  # each cut reply was asked again and replayed
    assert all(t["idempotency_key"] in everything for t in replays)
    for department, keys in queued.items():
        first_times = [t["idempotency_key"] for t in entries if not t["replayed"]
                       and t["service_id"].startswith(department + ".")]
        assert first_times == keys, department
    for secret in (CARD, ID_NUMBER, FEEDBACK_TEXT):  # the kiosk's log says nothing personal
        assert secret not in log


def test_a_flapping_backend_gets_a_burst_once_each_in_order(tmp_path: Path,
                                                            sandbox: SandboxServer) -> None:
    box: Outbox = open_outbox(tmp_path / "home")
    outcomes: list[Outcome] = []
    heard = threading.Condition()

    def note(outcome: Outcome) -> None:
        with heard:
            outcomes.append(outcome)
            heard.notify_all()

    client = GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0, read_timeout=5)
    probe_client = GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0, read_timeout=5)
    worker = SyncWorker(box, outbox_delivery(client), base_s=0.02, cap_s=2.0, on_outcome=note)
    # Back up: the monitor ends every backoff at once (cap_s alone could wait 2 s).
    monitor = Connectivity(gateway_probe(probe_client), interval_s=0.02,
                           wake=lambda: worker.wake(retry_now=True))
    sandbox.set_online(False)
    # Once back, the first replies are lost after the gateway applied the submit.
    sandbox.faults.add(mode="error", path_prefix="/v1/services/submit", after_handler=True,
                       times=3)
    stop, ias_was_down = threading.Event(), threading.Event()

    def flap() -> None:  # down and up, as a failing link does
        online = False
        while not stop.wait(0.15):
            online = not online
            sandbox.set_online(online)
            if online and not ias_was_down.is_set():  # and a department of its own
                sandbox.faults.add(mode="down", department="ias", times=2)
                ias_was_down.set()
        sandbox.set_online(True)

    flapper = threading.Thread(target=flap, name="flapper")
    worker.start()
    monitor.start()
    flapper.start()
    queued: dict[str, list[str]] = {}
    try:
        for n in range(100):
            service = SERVICES[n % len(SERVICES)]
            enqueue(box, service, f"burst-{n:03d}")
            queued.setdefault(service.split(".")[0], []).append(f"burst-{n:03d}")
            worker.wake()
        with heard:
            assert heard.wait_for(lambda: sum(o.result == "delivered" for o in outcomes)
                                  == 100, timeout=30)
    finally:
        stop.set()
        flapper.join()
        monitor.stop()
        worker.stop()
        client.close()
        probe_client.close()
    assert any(o.result == "retry" for o in outcomes)
    assert any(o.error.startswith("department_unavailable") for o in outcomes)
    assert not any(o.result == "dead" for o in outcomes)
    everything = [k for keys in queued.values() for k in keys]
    assert applied(sandbox.url) == dict.fromkeys(everything, 1)
    entries = journal(sandbox.url)
    assert any(t["replayed"] for t in entries)  # the lost replies, asked again
    for department, keys in queued.items():
        assert [t["idempotency_key"] for t in entries if not t["replayed"]
                and t["service_id"].startswith(department + ".")] == keys
