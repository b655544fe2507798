"""What a citizen leaves behind, and the accessibility choices: the journey's side."""

from __future__ import annotations

import dataclasses

from kiosk.config import DeviceConfig
from kiosk.journey import Access, ManualHost
from kiosk.journey.access import VOLUME_MAX, VOLUME_MIN, adjusted
from kiosk.journey.reminders import EVERY_S, SOUNDS
from tests.conftest import fast_config, journey_for

CARD = "C0000001"


def on(host: ManualHost, screen: str) -> None:
    host.pump(lambda: host.views[-1].screen == screen)


def voucher_printed(host: ManualHost, journey, terminal) -> None:
    journey.act("start")
    journey.act("choose_lang", "en")
    journey.act("service", "ssm.voucher-print")
    terminal.devices["card_reader"].insert(CARD)
    on(host, "quantity")
    journey.act("confirm")
    on(host, "done")


def test_a_card_left_after_the_service_is_asked_for_until_taken(host, journey, terminal) -> None:
    voucher_printed(host, journey, terminal)
    journey.act("finish")
    assert host.reports[-1].outcome == "completed" and journey.session is None
    assert host.view.screen == "reminder" and host.view.data["items"] == ("card",)
    journey.act("start")  # a tap on the reminder starts nothing: the card is still there
    assert host.view.screen == "reminder" and journey.session is None
    terminal.devices["card_reader"].remove()
    on(host, "attract")


def test_the_reminder_sounds_again_and_again_then_tells_the_staff(host, journey, terminal,
                                                                  caplog) -> None:
    speaker = terminal.devices["speaker"]
    voucher_printed(host, journey, terminal)
    before = len(speaker.spoken)
    journey.act("finish")
    chimes = lambda: [s for s in speaker.spoken[before:] if s[0] == "chime"]  # noqa: E731
    assert len(chimes()) == 1
    host.advance(EVERY_S * 3)
    assert len(chimes()) == 4
    host.advance(EVERY_S * SOUNDS * 2)
    assert len(chimes()) == SOUNDS  # then silent: the screen still says it
    assert host.view.screen == "reminder"
    assert "left behind after the session" in caplog.text and CARD not in caplog.text
    terminal.devices["card_reader"].remove()
    on(host, "attract")


def test_a_printout_left_in_the_exit_slot(kiosk_home, sandbox) -> None:
    from kiosk.app import build_terminal

    config = fast_config()
    printer = DeviceConfig(options={"seconds_per_page": 0.0, "presenter": True})
    config = dataclasses.replace(config, devices={**config.devices, "printer": printer})
    terminal = build_terminal(config, backend_url=sandbox.url)
    try:
        host = ManualHost()
        journey = journey_for(terminal, host)
        journey.start()
        voucher_printed(host, journey, terminal)
        assert terminal.devices["printer"].status.printout_waiting
        terminal.devices["card_reader"].remove()  # the card taken, the vouchers not
        host.pump(lambda: bool(host.reports))
        assert host.view.screen == "reminder" and host.view.data["items"] == ("printout",)
        terminal.devices["printer"].take_printout()
        on(host, "attract")
    finally:
        terminal.close()


def test_nothing_left_goes_straight_to_attract(host, journey, terminal) -> None:
    voucher_printed(host, journey, terminal)
    terminal.devices["card_reader"].remove()
    host.pump(lambda: bool(host.reports))
    assert host.view.screen == "attract"


def test_accessibility_choices_last_the_session_and_reset_after(host, journey, terminal) -> None:
    journey.act("access", "large_text")  # on the attract screen, before any session
    journey.act("start")
    journey.act("access", "contrast")
    journey.act("access", "speech")
    journey.act("choose_lang", "pt")
    assert host.view.access == Access(high_contrast=True, large_text=True, speech=True)
    journey.act("access", "repeat")
    assert host.view.access.repeats == 1
    journey.act("cancel")
    assert host.view.screen == "attract" and host.view.access == Access()


def test_volume_stays_between_its_bounds() -> None:
    access = Access()
    for _ in range(10):
        access = adjusted(access, "louder")
    assert access.volume == VOLUME_MAX
    for _ in range(10):
        access = adjusted(access, "softer")
    assert access.volume == VOLUME_MIN
    assert adjusted(Access(), "repeat").repeats == 0  # nothing to repeat with speech off
    assert adjusted(Access(), "nonsense") == Access()
