"""Nothing a person presses takes them out of the kiosk (the keys the app can see)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from kiosk.journey.host import ManualClock
from kiosk.ui.lockdown import KioskLock
from kiosk.ui.run import build_kiosk

K, M = Qt.Key, Qt.KeyboardModifier
ESCAPES = [
    (K.Key_Escape, M.NoModifier), (K.Key_F4, M.AltModifier), (K.Key_Tab, M.AltModifier),
    (K.Key_Q, M.ControlModifier), (K.Key_W, M.ControlModifier), (K.Key_F1, M.NoModifier),
    (K.Key_F11, M.NoModifier), (K.Key_Delete, M.ControlModifier | M.AltModifier),
    (K.Key_Meta, M.NoModifier), (K.Key_D, M.MetaModifier), (K.Key_Space, M.AltModifier),
]
ORDINARY = [(K.Key_A, M.NoModifier), (K.Key_5, M.NoModifier), (K.Key_Backspace, M.NoModifier),
            (K.Key_Return, M.NoModifier), (K.Key_A, M.ShiftModifier), (K.Key_Tab, M.NoModifier)]


@pytest.mark.parametrize(("key", "mods"), ESCAPES)
def test_escape_keys_are_swallowed(qapp, key, mods) -> None:
    lock = KioskLock()
    for kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        assert lock.eventFilter(qapp, QKeyEvent(kind, key, mods))


@pytest.mark.parametrize(("key", "mods"), ORDINARY)
def test_ordinary_keys_pass(qapp, key, mods) -> None:
    assert not KioskLock().eventFilter(qapp, QKeyEvent(QEvent.Type.KeyPress, key, mods))


class KeyRecorder(QWidget):
    """A widget in the kiosk's window that notes every key it is given."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.keys: list[int] = []
        self.menus = 0

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.keys.append(event.key())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.menus += 1


def test_on_a_real_kiosk_escape_keys_and_menus_never_arrive(qtbot, terminal) -> None:
    """Keys and clicks as the platform delivers them: to the window's QWindow,
    which passes them on to the widget with the focus, or under the pointer."""
    kiosk = build_kiosk(terminal, lang="en", clock=ManualClock())
    qtbot.addWidget(kiosk.window)
    kiosk.window.show()
    kiosk.journey.start()
    handle = kiosk.window.windowHandle()
    try:
        recorder = KeyRecorder(kiosk.window)
        recorder.setGeometry(0, 300, 400, 200)
        recorder.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        recorder.show()
        recorder.setFocus()
        QTest.keyClick(handle, K.Key_X)  # the control: an ordinary key arrives
        assert recorder.keys == [K.Key_X]
        for key, mods in ESCAPES:
            QTest.keyClick(handle, key, mods)
        # QTest presses the modifier keys on their own: those alone do nothing.
        modifiers = {K.Key_Alt, K.Key_Control, K.Key_Shift}
        assert [k for k in recorder.keys if k not in modifiers] == [K.Key_X]
        QTest.mouseClick(handle, Qt.MouseButton.RightButton, M.NoModifier, QPoint(200, 400))
        assert recorder.menus == 0
        assert kiosk.journey._screen[0] == "attract" and kiosk.window.isVisible()
    finally:
        kiosk.host.shutdown()


def test_a_press_anywhere_keeps_the_session_alive(qtbot, terminal) -> None:
    clock = ManualClock()
    kiosk = build_kiosk(terminal, lang="en", clock=clock)
    qtbot.addWidget(kiosk.window)
    kiosk.window.show()
    kiosk.journey.start()
    try:
        kiosk.journey.act("start")
        idle = terminal.config.session.idle_timeout_s
        clock.advance(idle - 1)
        # On the screen's empty middle: no button, but the citizen is there.
        QTest.mouseClick(kiosk.window.windowHandle(), Qt.MouseButton.LeftButton,
                         M.NoModifier, QPoint(960, 900))
        clock.advance(idle - 1)
        assert kiosk.journey.session is not None and kiosk.window.overlay.isHidden()
        clock.advance(1)
        assert kiosk.window.overlay.isVisible()  # and without one, the warning comes
    finally:
        kiosk.host.shutdown()


def test_the_locked_window_is_frameless_on_top_and_goes_back_to_full_screen(qtbot) -> None:
    from kiosk.ui.lockdown import lock_window

    window = QWidget()
    qtbot.addWidget(window)
    lock_window(window)
    flags = window.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    qtbot.waitUntil(window.isFullScreen)
    window.showNormal()  # what a window manager's "restore" would do
    assert not window.isFullScreen()  # for now: put back on the next turn of the loop
    qtbot.waitUntil(window.isFullScreen)
    window.showMinimized()
    qtbot.waitUntil(lambda: window.isFullScreen() and not window.isMinimized())
