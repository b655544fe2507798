"""The journey without Qt: real simulators, the real sandbox on loopback, fake timers."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.devices.status import Paper
from kiosk.journey import Journey, ManualHost
from kiosk.sandbox import db as sandbox_db
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import DEFECTS, demo_profile
from tests.conftest import fast_config, journey_for

CARD = "C0000001"



def on(host: ManualHost, screen: str) -> None:
    host.pump(lambda: host.views[-1].screen == screen)


def to_service(host: ManualHost, journey: Journey, lang: str = "en") -> None:
    journey.act("start")
    assert host.view.screen == "language"
    journey.act("choose_lang", lang)
    assert host.view.screen == "catalog"
    journey.act("service", "ssm.voucher-print")
    assert host.view.screen == "insert_card"


def through_face(host: ManualHost, journey: Journey, terminal) -> None:
    terminal.devices["card_reader"].insert(CARD)
    on(host, "quantity")


def test_voucher_print_end_to_end(host, journey, terminal, sandbox) -> None:
    before = sandbox_db.vouchers_available(sandbox.db_path, CARD)
    to_service(host, journey, "pt")
    through_face(host, journey, terminal)
    assert host.view.data["maximum"] == before
    journey.act("fewer")
    assert host.view.data["count"] == before - 1
    journey.act("confirm")
    on(host, "done")
    printed = sorted(Path(terminal.devices["printer"].out_dir).glob("*.pdf"))
    assert len(printed) == 1
    assert sandbox_db.vouchers_available(sandbox.db_path, CARD) == 1
    assert len(sandbox_db.issued_serials(sandbox.db_path, CARD)) == before - 1
    session = journey.session
    assert session is not None and session.card is not None
    terminal.devices["card_reader"].remove()
    host.pump(lambda: bool(host.reports))
    report = host.reports[-1]
    assert report.outcome == "completed"
    assert {"read_card", "verify_face", "choose", "issue", "print"} <= set(report.waits)
    assert session.wiped and session.card is None and not session.data
    assert host.view.screen == "attract"


def test_idle_warning_then_more_time_then_timeout_wipes(host, journey, terminal) -> None:
    to_service(host, journey)
    through_face(host, journey, terminal)
    session = journey.session
    timeouts = terminal.config.session
    host.advance(timeouts.idle_timeout_s - 1)
    assert host.view.idle_seconds_left is None
    host.advance(1)
    assert host.view.idle_seconds_left == int(timeouts.idle_warning_s)
    host.advance(5)
    assert host.view.idle_seconds_left == int(timeouts.idle_warning_s) - 5
    for _ in range(10):  # "more time" can be asked for again and again
        journey.act("more_time")
        assert host.view.idle_seconds_left is None
        host.advance(timeouts.idle_timeout_s + 1)
        assert host.view.idle_seconds_left is not None
    assert journey.session is session and session.card is not None
    host.advance(timeouts.idle_warning_s)
    assert host.reports[-1].outcome == "timeout"
    assert session.wiped and session.card is None
    # The card is still in the reader: "take your card" until it is taken.
    assert host.view.screen == "reminder" and host.view.data["items"] == ("card",)
    terminal.devices["card_reader"].remove()
    on(host, "attract")


def test_done_screen_ends_the_session_on_its_own(host, journey, terminal) -> None:
    to_service(host, journey)
    through_face(host, journey, terminal)
    journey.act("confirm")
    on(host, "done")
    session = journey.session
    host.advance(terminal.config.session.done_screen_s - 0.5)
    assert journey.session is session and host.view.idle_seconds_left is None
    host.advance(0.5)
    assert host.reports[-1].outcome == "completed"
    assert session.wiped and host.view.screen == "reminder"


def test_no_idle_countdown_on_the_attract_screen(host, journey) -> None:
    host.advance(3600)
    assert all(v.screen == "attract" and v.idle_seconds_left is None for v in host.views)
    assert host.reports == []


def test_card_pulled_mid_service_ends_and_wipes(host, journey, terminal) -> None:
    to_service(host, journey)
    through_face(host, journey, terminal)
    session = journey.session
    terminal.devices["card_reader"].remove()
    host.pump(lambda: bool(host.reports))
    assert host.reports[-1].outcome == "card_removed"
    assert session.wiped and session.card is None
    assert host.view.screen == "attract" and host.view.data["notice"] == "card.removed"


def test_card_pulled_during_read_offers_a_retry(host, journey, terminal) -> None:
    reader = terminal.devices["card_reader"]
    reader.read_delay_s = 5.0  # long enough to pull the card mid-read
    to_service(host, journey)
    reader.insert(CARD)
    host.pump(lambda: host.view.data.get("message") == "card.reading")
    host.pump(lambda: reader.status.device.value == "busy")
    reader.remove()
    on(host, "error")
    assert host.view.data == {"message": "error.device.card_removed", "retry": True}
    reader.read_delay_s = 0.01
    reader.insert(CARD)
    journey.act("retry")
    on(host, "quantity")


def test_printer_out_of_paper_keeps_the_vouchers_and_reprints(host, journey, terminal,
                                                              sandbox) -> None:
    printer = terminal.devices["printer"]
    printer.load_paper(1)  # the job needs 2 pages (6 vouchers, 4 a page)
    to_service(host, journey)
    through_face(host, journey, terminal)
    journey.act("confirm")
    on(host, "error")
    assert host.view.data["message"] == "error.device.paper_out"
    assert printer.status.paper is Paper.OUT
    serials = sandbox_db.issued_serials(sandbox.db_path, CARD)
    assert len(serials) == 6
    printer.load_paper(100)
    journey.act("retry")
    on(host, "done")
    # Retrying the print issued nothing new: the same six vouchers were printed.
    assert sandbox_db.issued_serials(sandbox.db_path, CARD) == serials
    assert sandbox_db.transaction_count(sandbox.db_path) == 1


def test_backend_fault_then_retry_reuses_the_idempotency_key(host, journey, terminal,
                                                             sandbox) -> None:
    to_service(host, journey)
    through_face(host, journey, terminal)
    # The gateway applies the issue, then the reply is lost: the classic double-spend trap.
    sandbox.faults.inject("/v1/ssm/vouchers/issue", status=503, times=5, after_handler=True)
    journey.act("confirm")
    on(host, "error")
    assert host.view.data["message"] == "error.gateway.gateway_unavailable"
    sandbox.faults.clear()
    journey.act("retry")
    on(host, "done")
    assert sandbox_db.transaction_count(sandbox.db_path) == 1
    keys = {r.idempotency_key for r in sandbox.journal if r.path == "/v1/ssm/vouchers/issue"}
    assert len(keys) == 1


def test_stranger_at_the_camera_is_refused(kiosk_home, sandbox, host) -> None:
    from kiosk.app import build_terminal
    from kiosk.config import DeviceConfig

    cfg = fast_config()
    devices = dict(cfg.devices)
    devices["camera"] = DeviceConfig(options={"fps": 60, "subject": "stranger"})
    cfg = type(cfg)(devices=devices, session=cfg.session)
    term = build_terminal(cfg, backend_url=sandbox.url)
    try:
        j = journey_for(term, host)
        j.start()
        to_service(host, j)
        term.devices["card_reader"].insert(CARD)
        on(host, "error")
        assert host.view.data["message"] == "error.face.mismatch"
        faces = [v for v in host.views if v.screen == "face"]
        assert [v.data["message"] for v in faces] == ["face.look", "face.again", "face.again"]
        assert sandbox_db.transaction_count(sandbox.db_path) == 0
    finally:
        term.close()


def test_unavailable_service_is_refused_with_the_reason(host, journey, terminal) -> None:
    def catalog() -> dict:
        return {s.id: a for s, a in host.view.data["catalog"]}

    terminal.devices["printer"].set_cover_open(True)
    journey.act("start")
    journey.act("choose_lang", "en")
    host.pump(lambda: not catalog()["ssm.voucher-print"].available)
    refused = catalog()["ssm.voucher-print"]
    assert refused.reason == "unavailable.printer.cover_open"
    # A service that needs no printer is not held back by one.
    assert catalog()["ssm.voucher-balance"].available
    journey.act("service", "ssm.voucher-print")
    assert host.view.screen == "catalog" and host.view.data["refused"] == refused.reason
    journey.set_backend_online(False)
    terminal.devices["printer"].set_cover_open(False)
    host.pump(lambda: catalog()["ssm.voucher-print"].reason == "unavailable.backend")
    assert catalog()["dsi.card-check"].available  # local: works with no network at all


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_a_defective_card_is_refused_with_its_reason(host, journey, terminal, defect,
                                                     sandbox) -> None:
    reader = terminal.devices["card_reader"]
    reader.add_card("forged", demo_profile(DEMO_CITIZENS[0], defect=defect))
    to_service(host, journey)
    reader.insert("forged")
    on(host, "error")
    reason = DEFECTS[defect]
    assert host.view.data["message"] == f"error.card.{reason}"
    assert journey.session.card is None  # nothing of a refused card is kept
    assert host.view.data.get("retry") is False
    assert sandbox_db.transaction_count(sandbox.db_path) == 0
