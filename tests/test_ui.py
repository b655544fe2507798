"""The real Qt UI (offscreen), driven by taps, against the sandbox on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk.i18n import t
from kiosk.journey.host import ManualClock
from kiosk.sandbox import db as sandbox_db
from tests.ui_helpers import started_kiosk, tap

CARD = "C0000002"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kiosk(qtbot, terminal, clock):
    k = started_kiosk(qtbot, terminal, clock=clock)
    yield k
    k.host.shutdown()


def screen(kiosk) -> str:
    return kiosk.journey._screen[0]




def wait_screen(qtbot, kiosk, name: str, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: screen(kiosk) == name, timeout=timeout)


def visible_texts(kiosk) -> list[str]:
    return [w.text() for w in kiosk.window.findChildren(QLabel) if w.isVisible() and w.text()]


def test_voucher_journey_through_the_ui(qtbot, kiosk, terminal, sandbox) -> None:
    tap(qtbot, kiosk, "act:start")
    tap(qtbot, kiosk, "act:choose_lang:en")
    assert t("catalog.title", "en") in visible_texts(kiosk)
    tap(qtbot, kiosk, "act:department:ssm")
    tap(qtbot, kiosk, "act:service:ssm.voucher-print")
    tap(qtbot, kiosk, f"sim:insert:{CARD}")
    with qtbot.waitSignal(kiosk.host.framed, timeout=10_000):
        pass  # the live camera preview reaches the screen
    wait_screen(qtbot, kiosk, "quantity")
    tap(qtbot, kiosk, "act:fewer")
    tap(qtbot, kiosk, "act:fewer")
    count = kiosk.window.findChild(QLabel, "Count")
    assert count.text().startswith("4 ")
    tap(qtbot, kiosk, "act:confirm")
    wait_screen(qtbot, kiosk, "done")
    assert t("ssm.vouchers.done", "en") in visible_texts(kiosk)
    printed = list(Path(terminal.devices["printer"].out_dir).glob("*.pdf"))
    assert len(printed) == 1
    assert len(sandbox_db.issued_serials(sandbox.db_path, CARD)) == 4
    session = kiosk.journey.session
    with qtbot.waitSignal(kiosk.host.ended, timeout=5_000) as ended:
        tap(qtbot, kiosk, "sim:remove")
    assert ended.args[0].outcome == "completed"
    assert session.wiped and session.card is None
    assert screen(kiosk) == "attract"


def test_idle_timeout_wipes_the_session(qtbot, kiosk, terminal, clock) -> None:
    tap(qtbot, kiosk, "act:start")
    tap(qtbot, kiosk, "act:choose_lang:pt")
    tap(qtbot, kiosk, "act:department:ssm")
    tap(qtbot, kiosk, "act:service:ssm.voucher-print")
    tap(qtbot, kiosk, f"sim:insert:{CARD}")
    wait_screen(qtbot, kiosk, "quantity")
    session = kiosk.journey.session
    assert session.card is not None
    timeouts = terminal.config.session
    clock.advance(timeouts.idle_timeout_s)
    overlay = kiosk.window.overlay
    assert overlay.isVisible()
    countdown = kiosk.window.findChild(QLabel, "IdleCountdown")
    assert countdown.text() == t("idle.body", "pt", seconds=int(timeouts.idle_warning_s))
    tap(qtbot, kiosk, "act:more_time")
    assert not overlay.isVisible() and kiosk.journey.session is session
    clock.advance(timeouts.idle_timeout_s + timeouts.idle_warning_s)
    assert not overlay.isVisible()
    assert session.wiped and session.card is None and not session.data
    # The card is still in the reader: "take your card" until it is taken.
    assert screen(kiosk) == "reminder"
    tap(qtbot, kiosk, "sim:remove")
    wait_screen(qtbot, kiosk, "attract")


def test_language_switch_on_every_screen(qtbot, kiosk) -> None:
    tap(qtbot, kiosk, "act:start")
    tap(qtbot, kiosk, "act:choose_lang:zh-Hant")
    for lang in ("pt", "en", "zh-Hant"):
        tap(qtbot, kiosk, f"act:set_lang:{lang}")
        assert t("catalog.title", lang) in visible_texts(kiosk)
    tap(qtbot, kiosk, "act:department:ssm")
    tap(qtbot, kiosk, "act:service:ssm.voucher-print")
    tap(qtbot, kiosk, "act:set_lang:pt")
    assert t("card.insert", "pt") in visible_texts(kiosk)
    assert kiosk.journey.session.lang == "pt"


def test_a_department_down_greys_out_its_online_services(qtbot, kiosk, terminal,
                                                         sandbox) -> None:
    import requests

    from kiosk.ui.run import watch_backend

    down = requests.post(f"{sandbox.url}/_sandbox/faults",
                         json={"department": "fss", "mode": "down"}, timeout=5)
    assert down.ok, down.text
    monitor = watch_backend(kiosk, terminal.connectivity_probe())
    try:
        qtbot.waitUntil(lambda: kiosk.journey.departments_down == {"fss"}, timeout=10_000)
        tap(qtbot, kiosk, "act:start")
        tap(qtbot, kiosk, "act:choose_lang:en")
        tap(qtbot, kiosk, "act:department:fss")
        assert not kiosk.window.findChild(QPushButton, "act:service:fss.benefit-status")\
            .isEnabled()
        # Proof of life queues rather than turning the pensioner away.
        assert kiosk.window.findChild(QPushButton, "act:service:fss.proof-of-life").isEnabled()
        tile = kiosk.window.findChild(QPushButton, "act:service:fss.benefit-status")
        assert any(t("unavailable.department", "en") in line for line in tile.texts)
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
        monitor.check()  # the next probe, now
        qtbot.waitUntil(lambda: not kiosk.journey.departments_down, timeout=10_000)
    finally:
        monitor.stop()
