"""What the Qt UI tests share: a kiosk on screen, and a finger that taps by name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QPushButton, QWidget

from kiosk.journey.host import ManualClock
from kiosk.ui.run import Kiosk, build_kiosk
from kiosk.ui.theme import DESIGN_SIZE


def started_kiosk(qtbot, terminal, *, lang: str = "zh-Hant",
                  clock: ManualClock | None = None) -> Kiosk:
    """``terminal``'s kiosk at its own 1920×1080, shown, on the attract screen
    (timers on ``clock``, a fresh ManualClock unless given). Shut its host down
    when done (``kiosk.host.shutdown()``)."""
    k = build_kiosk(terminal, lang=lang, clock=clock or ManualClock())
    qtbot.addWidget(k.window)
    k.window.setFixedSize(*DESIGN_SIZE)
    k.window.show()
    k.journey.start()
    return k


def tap(qtbot, kiosk: Kiosk, name: str) -> None:
    """Tap the button named ``name``, which must be on show and enabled."""
    button = kiosk.window.findChild(QPushButton, name)
    assert button is not None, f"no button {name}"
    assert button.isVisible() and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def editor(kiosk: Kiosk, name: str) -> QLineEdit | QPlainTextEdit:
    """The text field of the form field ``name`` on show."""
    found = kiosk.window.findChild(QWidget, f"field:{name}")
    assert isinstance(found, QLineEdit | QPlainTextEdit), name
    return found


def text_of(w: QLineEdit | QPlainTextEdit) -> str:
    return w.text() if isinstance(w, QLineEdit) else w.toPlainText()
