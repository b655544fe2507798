"""The outbox and its sync worker: the store's rules, order per department,
backoff and Retry-After on a moved clock, dead letters, restarts, the
connectivity monitor, and the gateway's errors mapped to retry or give up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.api.client import GatewayClient
from kiosk.app import gateway_probe, outbox_delivery
from kiosk.offline.connectivity import Connectivity
from kiosk.offline.outbox import (
    Outbox,
    OutboxConflict,
    OutboxItem,
    OutboxStateError,
    State,
    UnknownItem,
)
from kiosk.offline.sync import (
    Outcome,
    PermanentDeliveryError,
    SyncWorker,
    TransientDeliveryError,
    full_jitter,
)
from kiosk.sandbox.server import SandboxServer
from tests.conftest import TERMINAL, TOKEN
from tests.outbox_helpers import (
    CARD,
    FEEDBACK_TEXT,
    ID_NUMBER,
    Clock,
    applied,
    enqueue,
    open_outbox,
    payload,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(tmp_path: Path, clock: Clock) -> Outbox:
    return open_outbox(tmp_path / "home", clock=clock)


class Gateway:
    """A deliver function that answers from a script: per item id, a list of
    exceptions to raise before it takes the item (then it answers a reference)."""

    def __init__(self, script: dict[int, list[Exception]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[tuple[int, dict]] = []

    def __call__(self, item: OutboxItem, data: dict) -> dict:
        self.calls.append((item.id, dict(data)))
        pending = self.script.get(item.id)
        if pending:
            raise pending.pop(0)
        return {"reference": f"REF-{item.id}"}

    @property
    def order(self) -> list[int]:
        return [i for i, _ in self.calls]


# --- the store ---------------------------------------------------------------------


def test_an_item_is_recorded_sealed_and_comes_back_whole(tmp_path: Path, box: Outbox) -> None:
    item = enqueue(box, "safp.feedback", "key-1")
    assert (item.state, item.attempts, item.department) == (State.PENDING, 0, "safp")
    assert item.summary == {"service_id": "safp.feedback", "queued_by": "test"}
    assert box.payload(item.id) == payload("safp.feedback")
    # A stolen disk reveals nothing: the database files hold no personal data in clear.
    disk = b"".join(p.read_bytes() for p in (tmp_path / "home" / "state").iterdir())
    for secret in (CARD, ID_NUMBER, FEEDBACK_TEXT):
        assert secret.encode() not in disk
    # Sealed to its own record: moved onto another item it does not open.
    other = enqueue(box, "fss.proof-of-life", "key-2")
    box._db.execute("UPDATE outbox SET payload = (SELECT payload FROM outbox WHERE id = ?) "
                    "WHERE id = ?", [item.id, other.id])
    with pytest.raises(Exception, match="does not open"):
        box.payload(other.id)


def test_the_same_key_twice_is_the_same_item(box: Outbox) -> None:
    first = enqueue(box, "fss.proof-of-life", "key-1")
    assert enqueue(box, "fss.proof-of-life", "key-1") == first
    assert len(box.list()) == 1
    with pytest.raises(OutboxConflict):
        enqueue(box, "safp.feedback", "key-1")
    with pytest.raises(ValueError, match="idempotency key"):
        enqueue(box, "safp.feedback", "")


def test_a_summary_with_personal_data_is_refused(box: Outbox) -> None:
    with pytest.raises(ValueError, match=r"nothing personal.*card_number"):
        box.enqueue(service_id="safp.feedback", department="safp", idempotency_key="k",
                    payload=payload("safp.feedback"), summary={"card_number": CARD})
    assert box.list() == []


def test_only_each_departments_oldest_is_due(box: Outbox) -> None:
    a1, b1, a2 = (enqueue(box, s, k) for s, k in (("fss.proof-of-life", "a1"),
                                                    ("safp.feedback", "b1"),
                                                    ("fss.proof-of-life", "a2")))
    assert [i.id for i in box.next_due()] == [a1.id, b1.id]
    assert box.claim(a2.id) is None  # a later item never overtakes an earlier one
    claimed = box.claim(a1.id)
    assert claimed is not None and (claimed.state, claimed.attempts) == (State.DELIVERING, 1)
    assert box.claim(a1.id) is None  # claimed once
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again after it
    assert [i.id for i in box.next_due()] == [b1.id]  # a1 in flight still holds fss's line
    box.delivered(a1.id, "FSS-1")
    assert [i.id for i in box.next_due()] == [b1.id, a2.id]  # oldest first
    done = box.get(a1.id)
    assert (done.state, done.reference) == (State.DELIVERED, "FSS-1")
    with pytest.raises(OutboxStateError, match="erased"):
        box.payload(a1.id)  # delivered: the personal data is gone, the record stays


def test_an_item_in_delivery_at_a_crash_is_pending_again_at_open(tmp_path: Path,
                                                                 box: Outbox) -> None:
    item = enqueue(box, "fss.proof-of-life", "k")
    box.claim(item.id)
    looking = open_outbox(tmp_path / "home", resume=False)  # a technician's look
    assert looking.get(item.id).state is State.DELIVERING
    reopened = open_outbox(tmp_path / "home")
    again = reopened.get(item.id)
    assert (again.state, again.attempts) == (State.PENDING, 1)
    assert reopened.payload(item.id) == payload("fss.proof-of-life")


def test_retry_and_drop_follow_the_states(box: Outbox, clock: Clock) -> None:
    item = enqueue(box, "fss.proof-of-life", "k")
    with pytest.raises(OutboxStateError):
        box.retry(item.id)  # not dead
    box.claim(item.id)
    box.dead(item.id, "nothing_to_do: POST /v1/services/submit: HTTP 409 nothing_to_do")
    assert box.next_due() == []
    clock.advance(60)
    retried = box.retry(item.id)
    assert (retried.state, retried.next_attempt_at) == (State.PENDING, clock.now)
    dropped = box.drop(item.id)
    assert dropped.state is State.DROPPED
    with pytest.raises(OutboxStateError):
        box.payload(item.id)
    with pytest.raises(OutboxStateError):
        box.drop(item.id)
    with pytest.raises(UnknownItem):
        box.retry(999)


def test_status_counts_by_state_and_department(box: Outbox, clock: Clock) -> None:
    assert box.status().oldest_pending_age_s is None
    first = enqueue(box, "fss.proof-of-life", "a")
    clock.advance(30)
    enqueue(box, "safp.feedback", "b")
    enqueue(box, "safp.feedback", "c")
    box.claim(first.id)
    box.delivered(first.id)
    clock.advance(15)
    status = box.status()
    assert status.counts == {"pending": 2, "delivering": 0, "delivered": 1, "dead": 0,
                             "dropped": 0}
    assert status.by_department == {"fss": {"delivered": 1}, "safp": {"pending": 2}}
    assert status.oldest_pending_age_s == 15
    assert [i.service_id for i in box.list("pending")] == ["safp.feedback"] * 2


# --- the sync worker on a moved clock ----------------------------------------------------


def test_backoff_doubles_to_its_cap_with_jitter_drawn_below_it(box: Outbox, clock: Clock) -> None:
    item = enqueue(box, "fss.proof-of-life", "k")
    gateway = Gateway({item.id: [TransientDeliveryError("gateway_unavailable")] * 6})
    ceilings: list[float] = []

    def jitter(ceiling: float) -> float:
        ceilings.append(ceiling)
        return ceiling / 2

    worker = SyncWorker(box, gateway, base_s=1, cap_s=8, jitter=jitter, clock=clock)
    for _ in range(6):
        [outcome] = worker.run_once()
        assert outcome.result == "retry"
        waited = outcome.retry_at - clock.now
        assert worker.run_once(clock.now + waited - 0.001) == []  # not before its time
        clock.advance(waited)
    assert ceilings == [1, 2, 4, 8, 8, 8]
    [outcome] = worker.run_once()
    assert outcome.result == "delivered" and box.get(item.id).attempts == 7
    draws = [full_jitter(4.0) for _ in range(200)]
    assert all(0 <= d <= 4 for d in draws) and max(draws) - min(draws) > 2


def test_a_retry_after_the_error_carries_is_honoured(box: Outbox, clock: Clock) -> None:
    item = enqueue(box, "fss.proof-of-life", "k")
    gateway = Gateway({item.id: [TransientDeliveryError("busy", retry_after_s=42)]})
    worker = SyncWorker(box, gateway, base_s=1, cap_s=300, jitter=lambda c: c, clock=clock)
    [outcome] = worker.run_once()
    assert outcome.retry_at == clock.now + 42
    assert box.get(item.id).last_error == "busy"
    clock.advance(41)
    assert worker.run_once() == []
    clock.advance(1)
    assert [o.result for o in worker.run_once()] == ["delivered"]


def test_a_failing_head_holds_its_department_only(box: Outbox, clock: Clock) -> None:
    a1 = enqueue(box, "fss.proof-of-life", "a1")
    a2 = enqueue(box, "fss.proof-of-life", "a2")
    b1 = enqueue(box, "safp.feedback", "b1")
    b2 = enqueue(box, "safp.feedback", "b2")
    gateway = Gateway({a1.id: [TransientDeliveryError("department_unavailable")] * 2})
    worker = SyncWorker(box, gateway, jitter=lambda c: c, clock=clock)
    report = worker.flush()
    assert gateway.order == [a1.id, b1.id, b2.id]  # a2 waits behind a1
    assert (report.delivered, report.ids("retry"), report.pending) == ([b1.id, b2.id], [a1.id], 2)
    report = worker.flush(force=True)  # a technician's "now": backoff ignored
    assert report.ids("retry") == [a1.id]
    clock.advance(10)
    assert worker.flush().delivered == [a1.id, a2.id]
    assert gateway.order == [a1.id, b1.id, b2.id, a1.id, a1.id, a2.id]
    assert gateway.calls[0][1] == payload("fss.proof-of-life")


def test_a_permanent_error_files_a_dead_letter_and_the_line_moves_on(box: Outbox,
                                                                     clock: Clock) -> None:
    a1 = enqueue(box, "fss.proof-of-life", "a1")
    a2 = enqueue(box, "fss.proof-of-life", "a2")
    gateway = Gateway({a1.id: [PermanentDeliveryError("nothing_to_do: HTTP 409")]})
    worker = SyncWorker(box, gateway, clock=clock)
    report = worker.flush()
    assert (report.ids("dead"), report.delivered, report.dead) == ([a1.id], [a2.id], 1)
    dead = box.get(a1.id)
    assert (dead.state, dead.last_error) == (State.DEAD, "nothing_to_do: HTTP 409")
    assert box.payload(a1.id) == payload("fss.proof-of-life")  # kept for a retry
    box.retry(a1.id)
    assert worker.flush().delivered == [a1.id]


def test_an_unexpected_error_keeps_the_item_and_a_bad_seal_files_it(box: Outbox,
                                                                    clock: Clock) -> None:
    a = enqueue(box, "fss.proof-of-life", "a")
    b = enqueue(box, "safp.feedback", "b")
    box._db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [b"\0" * 40, b.id])
    gateway = Gateway({a.id: [RuntimeError("card C0000001 broke it")]})
    report = SyncWorker(box, gateway, clock=clock).flush()
    assert [(o.item_id, o.result) for o in report.outcomes] == [(a.id, "retry"), (b.id, "dead")]
    assert box.get(a.id).last_error == "unexpected RuntimeError"  # the type, never the text
    assert box.get(b.id).last_error == "payload unreadable: SealError"


# --- the worker's thread ---------------------------------------------------------------------


def test_the_thread_delivers_when_woken_and_ends_backoff_when_told(box: Outbox) -> None:
    outcomes: list[Outcome] = []
    seen = threading.Condition()

    def heard(outcome: Outcome) -> None:
        with seen:
            outcomes.append(outcome)
            seen.notify_all()

    def until(count: int) -> None:
        with seen:
            assert seen.wait_for(lambda: len(outcomes) >= count, timeout=10)

    first = enqueue(box, "fss.proof-of-life", "a")
    gateway = Gateway({first.id: [TransientDeliveryError("offline")]})
    # Backoff of 1000 s: only wake(retry_now=True) can bring the item back soon.
    worker = SyncWorker(box, gateway, base_s=1000, cap_s=1000, jitter=lambda c: c,
                        on_outcome=heard).start()
    try:
        until(1)
        assert outcomes[0].result == "retry"
        worker.wake()  # nothing due: the backoff stands
        second = enqueue(box, "safp.feedback", "b")
        worker.wake()
        until(2)
        assert (outcomes[1].item_id, outcomes[1].result) == (second.id, "delivered")
        worker.wake(retry_now=True)
        until(3)
        assert (outcomes[2].item_id, outcomes[2].result) == (first.id, "delivered")
    finally:
        worker.stop()
    assert not worker.running


# --- connectivity --------------------------------------------------------------------------


def test_connectivity_tells_changes_and_wakes_the_worker_when_back() -> None:
    answers: list[frozenset[str] | Exception] = [
        frozenset(), frozenset(), ConnectionError("down"), ConnectionError("down"),
        frozenset({"fss"}), frozenset()]

    def probe() -> frozenset[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    heard: list[tuple[bool, frozenset[str]]] = []
    wakes: list[int] = []
    monitor = Connectivity(probe, interval_s=5, wake=lambda: wakes.append(1))
    monitor.subscribe(lambda online, down: heard.append((online, down)))
    assert monitor.online is None
    for _ in range(6):
        monitor.check()
    assert heard == [(True, frozenset()), (False, frozenset()), (True, frozenset({"fss"})),
                     (True, frozenset())]
    assert len(wakes) == 2  # the gateway back, then fss back
    assert (monitor.online, monitor.departments_down) == (True, frozenset())


def test_connectivity_probes_on_its_own_thread(sandbox: SandboxServer) -> None:
    client = GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0)
    changed = threading.Event()
    sandbox.faults.add(mode="down", department="ias", times=None)
    monitor = Connectivity(gateway_probe(client), interval_s=0.01)
    monitor.subscribe(lambda online, down: changed.set())
    monitor.start()
    try:
        assert changed.wait(10)
        assert (monitor.online, monitor.departments_down) == (True, frozenset({"ias"}))
        changed.clear()
        sandbox.set_online(False)
        assert changed.wait(10)
        assert monitor.online is False
    finally:
        monitor.stop()
        client.close()


# --- the gateway's errors, mapped (kiosk.app.outbox_delivery) -------------------------------


def test_gateway_errors_become_retry_or_dead_letters(box: Outbox, clock: Clock,
                                                    sandbox: SandboxServer) -> None:
    client = GatewayClient(sandbox.url, TERMINAL, TOKEN, retries=0)
    worker = SyncWorker(box, outbox_delivery(client), jitter=lambda c: c, clock=clock)
    fss = enqueue(box, "fss.proof-of-life", "map-fss")
    stranger = enqueue(box, "fp.proof-of-life", "map-nobody", card="C0000002",
                       id_number="1288031(2)")
    ias = enqueue(box, "ias.proof-of-life", "map-ias")
    feedback = enqueue(box, "safp.feedback", "map-safp")
    sandbox.faults.add(mode="down", department="fss", times=1)
    sandbox.faults.add(mode="error", department="ias", status=503, retry_after=7, times=1)
    sandbox.faults.inject("/v1/services/submit", status=429, retry_after=3, department="safp")
    report = worker.flush()
    results = {o.item_id: (o.result, o.error.split(":")[0]) for o in report.outcomes}
    assert results == {fss.id: ("retry", "department_unavailable"),
                       stranger.id: ("dead", "nothing_to_do"),
                       ias.id: ("retry", "gateway_unavailable"),
                       feedback.id: ("retry", "invalid_request")}  # a 429
    assert box.get(ias.id).next_attempt_at == clock.now + 7  # its Retry-After
    assert box.get(feedback.id).next_attempt_at == clock.now + 3
    assert box.get(fss.id).next_attempt_at == clock.now + 1  # the backoff
    assert CARD not in box.get(stranger.id).last_error
    clock.advance(7)
    report = worker.flush()
    assert sorted(report.delivered) == sorted([fss.id, ias.id, feedback.id])
    assert all(box.get(i).reference for i in report.delivered)  # the gateway's reference
    assert applied(sandbox.url) == {"map-fss": 1, "map-ias": 1, "map-safp": 1}
    sandbox.stop()
    late = enqueue(box, "fss.proof-of-life", "map-late")
    assert worker.flush().ids("retry") == [late.id]  # unreachable: kept for later
    client.close()


def test_a_payload_missing_a_field_is_a_dead_letter(box: Outbox, clock: Clock) -> None:
    broken = box.enqueue(service_id="safp.feedback", department="safp", idempotency_key="b",
                         payload={"service_id": "safp.feedback", "card_number": CARD,
                                  "id_number": ID_NUMBER}, summary={})
    never = GatewayClient("http://127.0.0.1:9", TERMINAL, TOKEN, retries=0)
    report = SyncWorker(box, outbox_delivery(never), clock=clock).flush()
    assert report.ids("dead") == [broken.id]
    assert box.get(broken.id).last_error == "payload without 'form'"
