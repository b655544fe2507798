"""Maintenance mode on the real Qt kiosk (offscreen): into it by the hidden
corner gesture or the service key, the PIN typed on the screen's pad, each
diagnostic run from its screen on the simulators, the touch grid, counters,
a setting changed and seen in effect, wrong PINs locking, and out again."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from kiosk.maintenance.credentials import hash_pin
from kiosk.offline.audit import terminal_audit_log
from kiosk.sandbox.demo import DEMO_CITIZENS, portrait_jpeg
from kiosk.ui.lockdown import GESTURE_PRESSES
from kiosk.ui.screens_maintenance import CameraScreen, TouchGrid
from tests.ui_helpers import started_kiosk, tap

PIN = "97531024"


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


@pytest.fixture
def kiosk(qtbot, terminal, pin_hash):
    m = terminal.config.maintenance
    terminal.config = replace(terminal.config, maintenance=replace(
        m, technicians={"T001": pin_hash}, roles={"T001": "technician"}))
    k = started_kiosk(qtbot, terminal, lang="en")
    yield k
    if k.maintenance is not None:
        k.maintenance.pages.stop()
    k.host.shutdown()


def screen(kiosk) -> str:
    return kiosk.window.view.screen if kiosk.window.view else ""


def on(qtbot, kiosk, name: str, timeout: int = 20000) -> None:
    qtbot.waitUntil(lambda: screen(kiosk) == name, timeout=timeout)


def press_corner(qtbot, kiosk, times: int) -> None:
    handle = kiosk.window.windowHandle()
    for _ in range(times):
        qtbot.mouseClick(handle, Qt.MouseButton.LeftButton, pos=QPoint(30, 30))


def type_pin(qtbot, kiosk, pin: str) -> None:
    for digit in pin:
        tap(qtbot, kiosk, f"key:{digit}")
    tap(qtbot, kiosk, "act:maint.pin_enter")


def text(kiosk, name: str) -> str:
    found = kiosk.window.findChild(QLabel, name)
    return found.text() if found is not None else ""


def test_the_hidden_gesture_a_pin_and_every_diagnostic(qtbot, kiosk, terminal) -> None:
    press_corner(qtbot, kiosk, GESTURE_PRESSES - 1)
    assert screen(kiosk) == "attract"  # four taps are a citizen's, not the gesture
    press_corner(qtbot, kiosk, 1)
    on(qtbot, kiosk, "maint_pin")
    type_pin(qtbot, kiosk, PIN)
    on(qtbot, kiosk, "maint_home")
    assert "T001" in text(kiosk, "Technician")

    for device in ("card_reader", "printer", "speaker", "camera"):
        tap(qtbot, kiosk, f"act:maint.device:{device}")
        on(qtbot, kiosk, "maint_device")
        tap(qtbot, kiosk, f"act:maint.test:{device}")
        qtbot.waitUntil(lambda: text(kiosk, "TestResult").startswith(("Passed", "Failed")),
                        timeout=60000)
        assert text(kiosk, "TestResult").startswith("Passed"), (device, text(kiosk, "TestResult"))
        if device != "camera":
            tap(qtbot, kiosk, "act:maint.home")
            on(qtbot, kiosk, "maint_home")

    # The camera's live picture, with the face box the verifier found.
    terminal.devices["camera"].set_person(portrait_jpeg(DEMO_CITIZENS[0]), "holder")
    tap(qtbot, kiosk, "act:maint.preview:camera")
    on(qtbot, kiosk, "maint_camera")
    qtbot.waitUntil(lambda: isinstance(kiosk.window.screen, CameraScreen)
                    and kiosk.window.screen.frames >= 3, timeout=20000)
    assert not kiosk.window.findChild(QLabel, "CameraPreview").pixmap().isNull()
    assert kiosk.window.screen.last_box is not None  # the face was found and framed
    tap(qtbot, kiosk, "act:maint.device:camera")
    on(qtbot, kiosk, "maint_device")
    tap(qtbot, kiosk, "act:maint.home")

    # The touch grid: every cell pressed, the test passes.
    tap(qtbot, kiosk, "act:maint.touch")
    on(qtbot, kiosk, "maint_touch")
    grid = kiosk.window.findChild(TouchGrid, "TouchGrid")
    qtbot.waitUntil(lambda: grid.width() > 100)
    for r in range(grid.rows):
        for c in range(grid.cols):
            qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(
                int((c + 0.5) * grid.width() / grid.cols), int((r + 0.5) * grid.height()
                                                                / grid.rows)))
    on(qtbot, kiosk, "maint_home")
    assert "passed" in text(kiosk, "Notice")

    # Counters: paper replaced.
    tap(qtbot, kiosk, "act:maint.counters")
    on(qtbot, kiosk, "maint_counters")
    tap(qtbot, kiosk, "act:maint.replace:paper")
    qtbot.waitUntil(lambda: "Replacement recorded" in text(kiosk, "Notice"))
    tap(qtbot, kiosk, "act:maint.home")

    # Out: the self-test passes on the simulators, and the citizen's screen is back.
    tap(qtbot, kiosk, "act:maint.leave")
    on(qtbot, kiosk, "attract", timeout=30000)
    actions = [e.action for e in terminal_audit_log(terminal.home).entries()]
    assert actions.count("device.test") == 5  # four devices and the touchscreen
    assert actions[0] == "maintenance.enter" and actions[-1] == "maintenance.leave"
    assert "consumable.replace" in actions


def test_a_setting_changed_on_the_screen_is_in_effect_and_audited(qtbot, kiosk,
                                                                  terminal) -> None:
    qtbot.keyClick(kiosk.window.windowHandle(), Qt.Key.Key_F12)  # the service switch
    on(qtbot, kiosk, "maint_pin")
    type_pin(qtbot, kiosk, PIN)
    on(qtbot, kiosk, "maint_home")
    tap(qtbot, kiosk, "act:maint.settings")
    on(qtbot, kiosk, "maint_settings")
    before = kiosk.journey.timeouts.idle_timeout_s
    tap(qtbot, kiosk, "act:maint.setting_step:session.idle_timeout_s|up")
    qtbot.waitUntil(lambda: text(kiosk, "Value:session.idle_timeout_s") == f"{before + 10:g}")
    # A language dropped: the top bar offers only the others once saved.
    tap(qtbot, kiosk, "act:maint.setting_toggle:terminal.languages|pt")
    tap(qtbot, kiosk, "act:maint.save")
    qtbot.waitUntil(lambda: kiosk.window.findChild(QLabel, "SettingsSaved") is not None)
    assert kiosk.journey.timeouts.idle_timeout_s == before + 10
    assert kiosk.journey.languages == ("zh-Hant", "en")
    tap(qtbot, kiosk, "act:maint.home")
    tap(qtbot, kiosk, "act:maint.leave")
    on(qtbot, kiosk, "attract", timeout=30000)
    top = [b.objectName() for b in kiosk.window.top.findChildren(QPushButton)]
    assert "act:set_lang:pt" not in top and "act:set_lang:en" in top
    changes = [e.details["key"] for e in terminal_audit_log(terminal.home).entries()
               if e.action == "config.change"]
    assert sorted(changes) == ["session.idle_timeout_s", "terminal.languages"]


def test_wrong_pins_typed_on_the_screen_lock_it(qtbot, kiosk, terminal) -> None:
    press_corner(qtbot, kiosk, GESTURE_PRESSES)
    on(qtbot, kiosk, "maint_pin")
    for _ in range(terminal.config.maintenance.max_failures):
        type_pin(qtbot, kiosk, "1111111")
        qtbot.waitUntil(lambda: kiosk.window.findChild(QLabel, "PinStatus") is not None
                        and "Checking" not in text(kiosk, "PinStatus"), timeout=20000)
    assert "locked" in text(kiosk, "PinStatus")
    pad = kiosk.window.findChild(QWidget, "Pad")
    assert not pad.isEnabled()  # nothing more to type until the lockout ends
    tap(qtbot, kiosk, "act:maint.cancel")
    on(qtbot, kiosk, "attract")


def test_the_gesture_does_nothing_during_a_citizens_session(qtbot, kiosk) -> None:
    tap(qtbot, kiosk, "act:start")
    qtbot.waitUntil(lambda: screen(kiosk) != "attract")
    press_corner(qtbot, kiosk, GESTURE_PRESSES)
    assert not screen(kiosk).startswith("maint_")
    assert kiosk.journey.session is not None
