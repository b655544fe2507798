"""Counters and consumables: persistent, thread-safe, fed by the devices' own
events (card inserted, device failed, job printed) and the journey's reports."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.devices.base import DeviceError
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.devices.printer import JobEnd, SimulatedPrinter
from kiosk.devices.status import DeviceState
from kiosk.journey.views import SessionReport
from kiosk.maintenance.counters import NAMES, CounterFeed, Counters
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import demo_profile

CARD = DEMO_CITIZENS[0].card_number


def two_page_pdf() -> bytes:
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    for page in ("one", "two"):
        canvas.drawString(72, 720, page)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "terminal.db"


@pytest.fixture
def counters(db: Path) -> Iterator[Counters]:
    c = Counters(db, paper_capacity=300)
    yield c
    c.close()


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


# --------------------------------------------------------------------------- Counters


def test_every_counter_starts_at_zero(counters: Counters) -> None:
    assert counters.snapshot() == dict.fromkeys(NAMES, 0)
    [paper] = counters.consumables()
    assert (paper.name, paper.used, paper.capacity, paper.remaining, paper.replaced_at) == (
        "paper", 0, 300, 300, None)


def test_counts_survive_a_restart(db: Path) -> None:
    first = Counters(db)
    first.add("sessions_completed")
    first.add("pages", 7)
    first.close()
    again = Counters(db, paper_capacity=500)
    try:
        snap = again.snapshot()
        assert snap["sessions_completed"] == 1 and snap["pages"] == 7
        assert again.consumables()[0].used == 7
    finally:
        again.close()


def test_concurrent_adds_from_threads_and_connections_are_all_counted(db: Path) -> None:
    # Two openers (the kiosk and a CLI, say), four threads each.
    openers = [Counters(db), Counters(db)]
    go = threading.Barrier(8)

    def work(c: Counters) -> None:
        go.wait()
        for _ in range(200):
            c.add("card_reads")
            c.add("pages", 2)

    threads = [threading.Thread(target=work, args=(openers[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        snap = openers[0].snapshot()
        assert snap["card_reads"] == 1600 and snap["pages"] == 3200
        assert openers[1].consumables()[0].used == 3200
    finally:
        for c in openers:
            c.close()


def test_replacing_the_paper_starts_its_count_again(counters: Counters) -> None:
    counters.add("pages", 120)
    assert counters.consumables()[0].remaining == 180
    assert counters.replace("paper") == 120
    [paper] = counters.consumables()
    assert paper.used == 0 and paper.remaining == 300
    replaced = datetime.fromisoformat(paper.replaced_at)
    assert replaced.tzinfo is not None and replaced.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - replaced).total_seconds()) < 60
    assert counters.snapshot()["pages"] == 120  # what was printed stays counted
    counters.add("pages", 3)
    assert counters.replace("paper") == 3


def test_unknown_names_are_refused(counters: Counters) -> None:
    with pytest.raises(ValueError):
        counters.replace("ink")
    with pytest.raises(ValueError):
        counters.add("sessions_complete")  # a typo must not start a counter of its own
    with pytest.raises(ValueError):
        counters.add("pages", -1)


def test_paper_used_past_its_capacity_leaves_none(counters: Counters) -> None:
    counters.add("pages", 301)
    paper = counters.consumables()[0]
    assert paper.used == 301 and paper.remaining == 0


# --------------------------------------------------------------------------- CounterFeed


@pytest.fixture
def reader() -> Iterator[SimulatedCardReader]:
    r = SimulatedCardReader({CARD: demo_profile(DEMO_CITIZENS[0])}, read_delay_s=0.0)
    yield r
    r.close()


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    p = SimulatedPrinter(tmp_path / "printed", sheets=10, seconds_per_page=0.0)
    yield p
    p.close()


def test_a_card_going_in_is_one_read_however_its_status_moves(
        counters: Counters, reader: SimulatedCardReader) -> None:
    feed = CounterFeed(counters, {"card_reader": reader})
    reader.insert(CARD)
    reader.read_card().result(timeout=10)  # busy and back, the card still in
    reader.set_device_state(DeviceState.OFFLINE)
    reader.set_device_state(DeviceState.ONLINE)
    reader.remove()
    reader.insert(CARD)
    feed.close()
    reader.remove()
    reader.insert(CARD)  # after close: not counted
    snap = counters.snapshot()
    assert snap["card_reads"] == 2
    assert snap["device_failures"] == 1  # the one time it went offline


def test_a_card_already_in_when_counting_starts_is_not_a_read(
        counters: Counters, reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    feed = CounterFeed(counters, {"card_reader": reader})
    reader.read_card().result(timeout=10)
    feed.close()
    assert counters.snapshot()["card_reads"] == 0


def test_a_device_failure_is_counted_once_per_edge(counters: Counters,
                                                   printer: SimulatedPrinter) -> None:
    feed = CounterFeed(counters, {"printer": printer})
    printer.load_paper(0)  # out of paper: failed
    printer.set_cover_open(True)  # still failed: no new edge
    printer.set_offline(True)
    printer.set_cover_open(False)
    printer.set_offline(False)
    printer.load_paper(100)  # back in use
    printer.set_cover_open(True)  # a cover left open is not a failure
    printer.set_cover_open(False)
    printer.set_offline(True)  # second failure
    feed.close()
    assert counters.snapshot()["device_failures"] == 2


def test_printed_jobs_pages_and_paper_are_counted(counters: Counters,
                                                  printer: SimulatedPrinter) -> None:
    feed = CounterFeed(counters, {"printer": printer})
    before = counters.snapshot()
    printer.print_pdf(two_page_pdf(), "test").result(timeout=10)
    printer.print_pdf(two_page_pdf(), "test").result(timeout=10)
    printer.fail_next_job("paper_jam")
    with pytest.raises(DeviceError):
        printer.print_pdf(two_page_pdf(), "test").result(timeout=10)
    with pytest.raises(DeviceError):  # not a PDF: refused, counted as a failure
        printer.print_pdf(b"hello", "test").result(timeout=10)
    feed.close()
    printer.print_pdf(two_page_pdf(), "test").result(timeout=10)  # after close
    assert changed(before, counters.snapshot()) == {"prints": 2, "pages": 4,
                                                    "print_failures": 2}
    assert counters.consumables()[0].used == 4


def test_sessions_are_counted_by_outcome(counters: Counters) -> None:
    feed = CounterFeed(counters, {})
    for outcome in ("completed", "completed", "cancelled", "timeout", "card_removed",
                    "failed", "something_new"):
        feed.session_ended(SessionReport("s", "ssm.voucher-print", outcome, {}))
    snap = counters.snapshot()
    assert (snap["sessions_completed"], snap["sessions_cancelled"], snap["sessions_timeout"],
            snap["sessions_card_removed"], snap["sessions_failed"]) == (2, 1, 1, 1, 1)


def test_a_job_listener_that_breaks_does_not_fail_the_job(printer: SimulatedPrinter) -> None:
    heard: list[JobEnd] = []

    def broken(_p: object, _end: JobEnd) -> None:
        raise RuntimeError("listener bug")

    printer.subscribe_jobs(broken)
    stop = printer.subscribe_jobs(lambda _p, end: heard.append(end))
    result = printer.print_pdf(two_page_pdf(), "slip").result(timeout=10)
    stop()
    printer.print_pdf(two_page_pdf(), "slip").result(timeout=10)
    assert result.pages == 2 and heard == [JobEnd("slip", 2)]


def test_a_real_escpos_printers_jobs_and_paper_out_are_counted(counters: Counters) -> None:
    from kiosk.devices.virtual_escpos import VirtualEscPosPrinter
    from tests.test_escpos import Statuses, escpos, make_pdf, online

    with VirtualEscPosPrinter() as virtual:
        device = escpos(virtual.port)
        statuses = Statuses(device)
        device.open()
        statuses.wait(online)
        feed = CounterFeed(counters, {"printer": device})
        try:
            assert device.print_pdf(make_pdf(2), "receipt").result(10).pages == 2
            virtual.paper_out(after_bytes=2000)
            with pytest.raises(DeviceError):
                device.print_pdf(make_pdf(), "receipt").result(10)
        finally:
            feed.close()
            device.close()
    snap = counters.snapshot()
    assert (snap["prints"], snap["pages"], snap["print_failures"]) == (1, 2, 1)
    assert snap["device_failures"] == 1  # the printer going out of paper, once
    assert counters.consumables()[0].used == 2
