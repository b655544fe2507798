"""The screen kinds of docs/screens.md in the real Qt UI (offscreen): drawn in
every language, typed on with the on-screen keyboard, and driven by the autopilot."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QWidget,
)

from kiosk import i18n
from kiosk.i18n import LANGUAGES, t
from kiosk.journey import View
from kiosk.ui.autopilot import Autopilot
from kiosk.ui.gallery import layout_problems
from kiosk.ui.gallery_views import FIELDS, FORM, SERVICE, tri
from kiosk.ui.gallery_views import step_views as views
from kiosk.ui.keyboard import LATIN, PIN
from kiosk.ui.screen_base import say
from kiosk.ui.screens_forms import FormScreen
from kiosk.ui.screens_otp import OtpScreen
from kiosk.ui.screens_results import qr_modules
from kiosk.ui.simpanel import SimControls
from kiosk.ui.theme import PALETTE, TEXT_PAIRS, contrast_ratio
from tests.ui_helpers import editor, started_kiosk, tap

ROOT = Path(__file__).resolve().parent.parent


class FakePhone:
    """A demo phone without a sandbox behind it: records what it is asked."""

    def __init__(self) -> None:
        self.sms: list[dict[str, Any]] = []
        self.paid: list[tuple[str, str]] = []  # (payment id, thread name)

    def messages(self) -> list[dict[str, Any]]:
        return list(self.sms)

    def last_code(self) -> str | None:
        codes = [m["code"] for m in self.sms if m.get("code")]
        return codes[-1] if codes else None

    def pay(self, payment_id: str) -> bool:
        self.paid.append((payment_id, threading.current_thread().name))
        return True

    def close(self) -> None:
        pass

    def send(self, code: str) -> None:
        self.sms.append({"at": "2026-03-12T10:00:00", "phone_masked": "66****56",
                         "text": f"[澳門特區政府] 驗證碼 {code}，五分鐘內有效。", "code": code})


@pytest.fixture
def phone() -> FakePhone:
    return FakePhone()


def started(qtbot, terminal):
    return started_kiosk(qtbot, terminal)


@pytest.fixture
def kiosk(qtbot, terminal, phone, monkeypatch):
    """A kiosk whose demo phone is a FakePhone."""
    monkeypatch.setattr(terminal, "demo_phone", phone)
    k = started(qtbot, terminal)
    yield k
    k.host.shutdown()


@pytest.fixture
def sandbox_kiosk(qtbot, terminal):
    """A kiosk with the terminal's own demo phone: the sandbox's SMS outbox and wallet."""
    k = started(qtbot, terminal)
    yield k
    k.host.shutdown()


@pytest.fixture
def acted(kiosk) -> list[tuple[str, Any]]:
    taps: list[tuple[str, Any]] = []
    kiosk.window.acted.connect(lambda action, value: taps.append((action, value)))
    return taps


def check_layout(window: QWidget, what: str) -> None:
    """Nothing off screen or squeezed (the gallery's own check)."""
    assert layout_problems(window) == [], what


def test_the_idle_warning_over_a_form(qtbot, kiosk, tmp_path) -> None:
    view = views("pt")[0]
    kiosk.window.render(view)
    kiosk.window.render(View(**{**view.__dict__, "idle_seconds_left": 17}))
    assert kiosk.window.overlay.isVisible()
    kiosk.window.grab().save(str(tmp_path / "form-idle-pt.png"))


# ----- the form and its keyboard ---------------------------------------------------------


def form_screen(kiosk) -> FormScreen:
    screen = kiosk.window.screen
    assert isinstance(screen, FormScreen)
    return screen




def type_on_keys(qtbot, kiosk, text: str) -> None:
    keyboard = form_screen(kiosk).keyboard
    for char in text:
        taps = keyboard.taps_for(char)
        assert taps is not None, f"no key for {char!r}"
        for name in taps:
            tap(qtbot, kiosk, name)


def test_the_keyboard_types_into_the_focused_field_and_a_language_switch_keeps_it(
        qtbot, kiosk) -> None:
    view = views("zh-Hant")[0]
    kiosk.window.render(view)
    email, phone_field = editor(kiosk, "email"), editor(kiosk, "phone")
    assert email.property("current")  # the field with an error comes first
    qtbot.mouseClick(phone_field, Qt.MouseButton.LeftButton)
    assert phone_field.property("current") and not email.property("current")
    label = kiosk.window.findChild(QLabel, "label:phone")
    assert label.property("current")
    # A phone number gets the digit pad, not the letters.
    assert kiosk.window.findChild(QPushButton, "key:+") is not None
    assert kiosk.window.findChild(QPushButton, "key:q") is None
    for digit in "66123450":
        tap(qtbot, kiosk, f"key:{digit}")
    tap(qtbot, kiosk, "key:{back}")
    tap(qtbot, kiosk, "key:6")
    assert phone_field.text() == "66123456"
    tap(qtbot, kiosk, "key:{enter}")  # "next" goes on to the e-mail, letters again
    assert email.property("current")
    assert kiosk.window.findChild(QPushButton, "key:q") is not None
    tap(qtbot, kiosk, "key:{enter}")
    address = editor(kiosk, "address")
    assert address.property("current")
    tap(qtbot, kiosk, "key:{shift}")
    for key in "rua":
        tap(qtbot, kiosk, f"key:{key}")
    tap(qtbot, kiosk, "key:{page:accents}")
    tap(qtbot, kiosk, "key:ã")  # the accents page goes back to the letters by itself
    assert kiosk.window.findChild(QPushButton, "key:ã") is None
    assert address.toPlainText() == "Ruaã"

    # The idle warning draws over the same screen; a language switch draws a new one.
    screen = kiosk.window.screen
    kiosk.window.render(View(**{**view.__dict__, "idle_seconds_left": 20}))
    assert kiosk.window.screen is screen
    kiosk.window.render(View(**{**view.__dict__, "lang": "pt"}))
    assert kiosk.window.screen is not screen
    assert editor(kiosk, "phone").text() == "66123456"
    assert editor(kiosk, "address").toPlainText() == "Ruaã"
    assert editor(kiosk, "address").property("current")
    assert editor(kiosk, "name").text() == "CHAN, TAI MAN"
    assert kiosk.window.findChild(QLabel, "label:phone").text() == "Número de telemóvel"


def test_submit_form_sends_every_field(qtbot, kiosk, acted) -> None:
    kiosk.window.render(views("en")[0])
    qtbot.mouseClick(editor(kiosk, "phone"), Qt.MouseButton.LeftButton)
    type_on_keys(qtbot, kiosk, "+85366123456")
    tap(qtbot, kiosk, "opt:contact:pm")
    tap(qtbot, kiosk, "act:submit_form")
    assert acted[-1] == ("submit_form", {"name": "CHAN, TAI MAN", "phone": "+85366123456",
                                         "email": "", "address": "", "contact": "pm"})


def test_enter_on_the_last_field_sends_the_form(qtbot, kiosk, acted) -> None:
    kiosk.window.render(views("en")[0])
    qtbot.mouseClick(editor(kiosk, "address"), Qt.MouseButton.LeftButton)
    key = kiosk.window.findChild(QPushButton, "key:{enter}")
    assert key.text() == t("ui.form.submit", "en")
    tap(qtbot, kiosk, "key:{enter}")
    assert acted[-1][0] == "submit_form"


def test_every_character_an_address_or_e_mail_needs_has_a_key(qtbot, kiosk) -> None:
    kiosk.window.render(views("pt")[0])
    qtbot.mouseClick(editor(kiosk, "address"), Qt.MouseButton.LeftButton)
    text = "Ávila João, n.º 12-3.ª #5 (A&B) Conceição/Côte; üñ"
    type_on_keys(qtbot, kiosk, text)
    assert editor(kiosk, "address").toPlainText() == text
    qtbot.mouseClick(editor(kiosk, "email"), Qt.MouseButton.LeftButton)
    type_on_keys(qtbot, kiosk, "CHAN.tai_man+1@Example.MO")
    assert editor(kiosk, "email").text() == "CHAN.tai_man+1@Example.MO"
    assert form_screen(kiosk).keyboard.taps_for("陳") is None  # no key: pinyin candidates


@pytest.mark.parametrize("lang", LANGUAGES)
def test_long_choices_are_never_cut(qtbot, kiosk, lang, tmp_path) -> None:
    names = [tri("行政公職局", "Serviços de Administração e Função Pública",
                 "Public Administration and Civil Service Bureau"),
             tri("法務局", "Direcção dos Serviços de Assuntos de Justiça",
                 "Legal Affairs Bureau"),
             tri("交通事務局", "Direcção dos Serviços para os Assuntos de Tráfego",
                 "Transport Bureau"),
             tri("文化局", "Instituto Cultural", "Cultural Affairs Bureau")]
    field = {"name": "department", "label": tri("部門", "Serviço", "Department"),
             "kind": "choice", "value": "", "required": True, "max_length": 10,
             "options": [{"value": f"d{i}", "label": n} for i, n in enumerate(names)]}
    kiosk.window.render(View("form", lang, {"title": FORM["title"], "fields": [field]},
                             SERVICE, "feedback", 2, 6))
    kiosk.window.grab().save(str(tmp_path / f"long-choices-{lang}.png"))
    viewport = form_screen(kiosk).scroll.viewport()
    for i in range(len(names)):
        b = kiosk.window.findChild(QPushButton, f"opt:department:d{i}")
        left = b.mapTo(viewport, QPoint(0, 0)).x()
        assert left >= 0 and left + b.width() <= viewport.width(), (lang, b.text())
        assert b.width() >= b.sizeHint().width(), (lang, b.text())


def test_the_form_shown_again_with_errors_shows_the_step_values(qtbot, kiosk) -> None:
    view = views("en")[0]
    kiosk.window.render(view)
    qtbot.mouseClick(editor(kiosk, "phone"), Qt.MouseButton.LeftButton)
    type_on_keys(qtbot, kiosk, "123")
    fields = [{**f, "value": "123", "error": tri("請輸入八位數字", "Indique 8 algarismos",
                                                  "Enter 8 digits")}
              if f["name"] == "phone" else f for f in FIELDS]
    kiosk.window.render(View(**{**view.__dict__, "data": {**FORM, "fields": fields}}))
    assert editor(kiosk, "phone").text() == "123"
    assert editor(kiosk, "phone").property("current")
    assert editor(kiosk, "phone").property("invalid")
    assert kiosk.window.findChild(QLabel, "error:phone").text() == "Enter 8 digits"


# ----- the code --------------------------------------------------------------------------


def test_the_code_pad_sends_six_digits_and_resend(qtbot, kiosk, acted) -> None:
    view = views("en")[1]
    kiosk.window.render(view)
    screen = kiosk.window.screen
    assert isinstance(screen, OtpScreen)
    keys = [kiosk.window.findChild(QPushButton, f"key:{d}") for d in "0123456789"]
    assert all(k.width() >= PIN.key_width and k.height() >= 96 for k in keys)
    for key in ("key:4", "key:8", "key:9", "key:{back}", "key:2", "key:9", "key:1"):
        tap(qtbot, kiosk, key)
    assert screen.boxes.text == "48291" and not acted
    tap(qtbot, kiosk, "key:3")
    assert acted == [("submit_code", "482913")]
    assert not screen.pad.isEnabled()  # no second code while this one is checked
    assert kiosk.window.findChild(QLabel, "OtpStatus").text() == t("ui.otp.checking", "en")
    kiosk.window.render(view)  # the step answered with the very same view
    assert screen.pad.isEnabled() and screen.boxes.text == ""
    tap(qtbot, kiosk, "act:resend")
    assert acted[-1] == ("resend", None)


def test_the_typed_code_survives_a_language_switch(qtbot, kiosk) -> None:
    view = views("zh-Hant")[1]
    kiosk.window.render(view)
    for digit in "123":
        tap(qtbot, kiosk, f"key:{digit}")
    kiosk.window.render(View(**{**view.__dict__, "lang": "en"}))
    assert kiosk.window.screen.boxes.text == "123"


# ----- choosing ----------------------------------------------------------------------------


def test_several_options_toggle_and_confirm(qtbot, kiosk, acted) -> None:
    view = views("en")[3]

    def step(action: str, value: Any) -> None:  # what the Choose step does, in short
        if action == "toggle":
            selected = list(kiosk.window.view.data["selected"])
            selected.remove(value) if value in selected else selected.append(value)
            data = {**kiosk.window.view.data, "selected": selected}
            kiosk.window.render(View(**{**view.__dict__, "data": data}))

    kiosk.window.acted.connect(step)
    kiosk.window.render(view)
    card = kiosk.window.findChild(QPushButton, "act:toggle:m1")
    assert not card.property("selected")
    assert not kiosk.window.findChild(QPushButton, "act:toggle:m5").isEnabled()
    tap(qtbot, kiosk, "act:toggle:m1")
    assert kiosk.window.findChild(QPushButton, "act:toggle:m1").property("selected")
    tap(qtbot, kiosk, "act:toggle:m2")
    assert not kiosk.window.findChild(QPushButton, "act:toggle:m2").property("selected")
    assert kiosk.window.findChild(QLabel, "ChooseCount").text() == t("ui.choose.count", "en",
                                                                   count=1)
    tap(qtbot, kiosk, "act:confirm")
    assert acted == [("toggle", "m1"), ("toggle", "m2"), ("confirm", None)]


def test_one_option_is_picked_with_one_tap(qtbot, kiosk, acted) -> None:
    kiosk.window.render(views("pt")[2])
    assert not kiosk.window.findChild(QPushButton, "act:pick:death").isEnabled()
    assert kiosk.window.findChild(QPushButton, "act:confirm") is None
    tap(qtbot, kiosk, "act:pick:marriage")
    assert acted == [("pick", "marriage")]


# ----- paying ------------------------------------------------------------------------------


def test_the_payment_qr_scans_to_its_payload(qtbot, kiosk, tmp_path) -> None:
    import subprocess

    view = views("en")[6]
    kiosk.window.render(view)
    qr = kiosk.window.findChild(QWidget, "PaymentQr")
    image = tmp_path / "qr.png"
    qr.grab().save(str(image))
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert scanned == view.data["qr_payload"]
    assert len(qr_modules("x")) == 21  # version 1: the smallest code


def test_the_countdown_keeps_its_deadline_across_a_language_switch(qtbot, kiosk) -> None:
    view = views("en")[6]
    kiosk.window.render(view)
    deadline = kiosk.window.screen.deadline
    countdown = kiosk.window.findChild(QLabel, "PaymentCountdown").text()
    assert countdown in (t("ui.payment.time_left", "en", time=s) for s in ("5:00", "4:59"))
    kiosk.window.render(View(**{**view.__dict__, "lang": "pt"}))
    assert kiosk.window.screen.deadline == deadline


def test_pay_with_wallet_pays_off_the_ui_thread(qtbot, kiosk, phone, tmp_path) -> None:
    view = views("en")[6]
    kiosk.window.render(view)
    tap(qtbot, kiosk, "sim:pay")
    qtbot.waitUntil(lambda: kiosk.window.findChild(QLabel, "SimPhone").text()
                    == t("ui.sim.paid", "en"), timeout=5_000)
    [(payment_id, thread)] = phone.paid
    assert payment_id == "PAY-20260312-0001"
    assert thread != threading.main_thread().name
    kiosk.window.grab().save(str(tmp_path / "paid-with-wallet-en.png"))
    check_layout(kiosk.window, "paid with the wallet")
    assert kiosk.window.findChild(QPushButton, "sim:pay") is None  # paid: once is enough


def test_no_wallet_button_once_the_payment_is_over(qtbot, kiosk) -> None:
    kiosk.window.render(views("en")[7])
    assert kiosk.window.findChild(QPushButton, "sim:pay") is None


# ----- the demo phone ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_phone_shows_the_sms_when_the_code_screen_appears(qtbot, kiosk, phone, lang,
                                                              tmp_path) -> None:
    phone.send("482913")
    kiosk.window.render(views(lang)[1])
    qtbot.waitUntil(lambda: "482913" in kiosk.window.findChild(QLabel, "SimPhone").text(),
                    timeout=5_000)
    kiosk.window.grab().save(str(tmp_path / f"otp-sms-{lang}.png"))
    check_layout(kiosk.window, f"otp with an SMS/{lang}")
    phone.send("777111")
    tap(qtbot, kiosk, "sim:phone")
    qtbot.waitUntil(lambda: "777111" in kiosk.window.findChild(QLabel, "SimPhone").text(),
                    timeout=5_000)


def test_the_phone_shows_a_code_the_sandbox_sent(qtbot, sandbox_kiosk, sandbox) -> None:
    import requests

    from tests.conftest import CHAN, TERMINAL, TOKEN

    kiosk = sandbox_kiosk
    assert kiosk.phone is not None and kiosk.window.sim.phone is kiosk.phone
    reply = requests.post(f"{sandbox.url}/v1/otp/send", timeout=5, json={
        "citizen": {"card_number": CHAN.card_number, "id_number": CHAN.id_number},
        "service_id": SERVICE}, headers={"X-Terminal-Id": TERMINAL,
                                         "Authorization": f"Bearer {TOKEN}",
                                         "Idempotency-Key": "ui-test-otp-1"})
    assert reply.status_code == 200, reply.text
    code = kiosk.phone.last_code()
    assert code and len(code) == 6
    kiosk.window.render(View("otp", "en", {"phone_masked": reply.json()["phone_masked"],
                                           "length": 6}, SERVICE, "otp", 3, 8))
    qtbot.waitUntil(lambda: code in kiosk.window.findChild(QLabel, "SimPhone").text(),
                    timeout=5_000)


def test_a_terminal_without_a_demo_phone_has_no_phone_panel(qtbot, terminal,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(terminal, "demo_phone", None)
    k = started(qtbot, terminal)
    try:
        k.window.render(views("en")[1])
        assert k.window.findChild(QPushButton, "sim:phone") is None
        k.window.render(views("en")[6])
        assert k.window.findChild(QPushButton, "sim:pay") is None
    finally:
        k.host.shutdown()


# ----- the autopilot -----------------------------------------------------------------------


def test_the_autopilot_drives_every_new_screen(qtbot, kiosk, phone, acted, tmp_path) -> None:
    pilot = Autopilot(kiosk, SERVICE, tmp_path / "out", tap_delay_s=0.0)

    def show(view: View) -> None:  # what QtHost.show does
        kiosk.window.render(view)
        kiosk.host.viewed.emit(view)

    def next_act(view: View) -> tuple[str, Any]:
        before = len(acted)
        show(view)
        qtbot.waitUntil(lambda: len(acted) > before, timeout=5_000)
        return acted[before]

    en = views("en")
    form = View(**{**en[0].__dict__, "data": {**FORM, "fields": [
        {k: v for k, v in f.items() if k != "error"} for f in FIELDS]}})
    assert next_act(form) == ("submit_form", {
        "name": "CHAN, TAI MAN", "phone": "66123456", "email": "",
        "address": "Rua do Campo, n.º 12, 3.º andar A", "contact": "am"})
    phone.send("482913")
    assert next_act(en[1]) == ("submit_code", "482913")
    assert next_act(en[2]) == ("pick", "birth")
    assert next_act(View(**{**en[3].__dict__, "data": {**en[3].data, "selected": []}})) \
        == ("toggle", "m1")
    assert next_act(en[3]) == ("confirm", None)
    assert next_act(en[5]) == ("confirm", None)
    show(en[6])
    qtbot.waitUntil(lambda: bool(phone.paid), timeout=5_000)
    assert phone.paid[0][0] == "PAY-20260312-0001"
    assert next_act(en[8]) == ("print", None)
    printed = View(**{**en[8].__dict__, "data": {**en[8].data, "can_print": False}})
    assert next_act(printed) == ("finish", None)
    assert not pilot.finished, pilot.result.reason
    shots = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert any("form-filled" in s for s in shots) and any("payment" in s for s in shots)


def test_the_autopilot_gives_up_on_a_form_it_cannot_fill(qtbot, kiosk, acted,
                                                       tmp_path, monkeypatch) -> None:
    exits: list[int] = []
    monkeypatch.setattr("PySide6.QtWidgets.QApplication.exit",
                        staticmethod(lambda code=0: exits.append(code)))
    pilot = Autopilot(kiosk, SERVICE, tmp_path / "out", tap_delay_s=0.0)
    view = views("en")[0]
    kiosk.window.render(view)
    kiosk.host.viewed.emit(view)
    qtbot.waitUntil(lambda: bool(acted) or pilot.finished, timeout=5_000)
    assert acted, pilot.result.reason
    again = View(**{**view.__dict__, "data": {**view.data, "note": "ui.total"}})
    kiosk.window.render(again)
    kiosk.host.viewed.emit(again)
    assert pilot.finished and pilot.result.outcome == "failed"
    assert pilot.result.reason == "form refused: email"
    assert exits == [1]


# ----- texts and colours -------------------------------------------------------------------


def test_every_ui_text_key_the_ui_uses_exists() -> None:
    used = {m for p in (ROOT / "kiosk" / "ui").glob("*.py")
            for m in re.findall(r"""["'](ui\.[a-z_.]+[a-z_])["']""",
                                p.read_text(encoding="utf-8"))}
    assert used and sorted(k for k in used if not i18n.has(k)) == []
    assert all(k.startswith("ui.") for k in i18n.all_keys() if k in used)


def test_text_colours_are_legible() -> None:
    for fg, bg in TEXT_PAIRS:
        assert contrast_ratio(getattr(PALETTE, fg), getattr(PALETTE, bg)) >= 4.5, (fg, bg)


def test_say_picks_the_language_or_the_key() -> None:
    assert say({"zh-Hant": "甲", "en": "A"}, "en") == "A"
    assert say({"zh-Hant": "甲", "en": "A"}, "pt") == "甲"
    assert say("110.00", "en") == "110.00"
    assert say("nav.ok", "pt", lambda key: t(key, "pt")) == "OK"
    assert say(None, "en") == ""
    # Not a text key where a label should be one: shown as given, not a broken screen.
    assert say("TF01000001", "en", lambda key: t(key, "en")) == "TF01000001"


def test_the_latin_layout_has_no_key_twice() -> None:
    for page, rows in LATIN.pages.items():
        keys = [k.rsplit("*", 1)[0] if len(k) > 1 else k for r in rows for k in r.split(" ")]
        assert len(keys) == len(set(keys)), page


def test_sim_controls_without_a_host_run_at_once(phone) -> None:
    sim = SimControls([], lambda _c: None, lambda: None, phone)
    phone.send("123456")
    sim.refresh_phone()
    assert sim.last_sms is not None and sim.last_sms["code"] == "123456"
