"""Lock-down: nothing a person can press takes them out of the kiosk.

An event filter on the kiosk window's QWindow (``WindowGuard``) swallows the
keys and menus that would leave or disturb it: Escape, Alt+F4, Alt+Tab, the
Windows/Meta key, Ctrl+Q/W, Ctrl+Alt+Delete/Backspace, the function keys, and context menus;
``lock_window`` makes the window frameless, on top and full screen, and puts
it back to full screen if anything takes it out.
What the application never sees (a compositor's own shortcuts, switching to a
text console) is the compositor's to refuse: the kiosk runs under cage, which
offers no desktop to reach (see packaging, issue 9).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QTouchEvent
from PySide6.QtWidgets import QWidget

Key = Qt.Key
Mod = Qt.KeyboardModifier

_ALWAYS = frozenset({Key.Key_Escape, Key.Key_Meta, Key.Key_Super_L, Key.Key_Super_R,
                     Key.Key_Menu, Key.Key_SysReq, Key.Key_Print})
_FUNCTION = frozenset(getattr(Key, f"Key_F{n}") for n in range(1, 36))
_WITH_ALT = frozenset({Key.Key_F4, Key.Key_Tab, Key.Key_Backtab, Key.Key_Escape,
                       Key.Key_Space})
_WITH_CTRL = frozenset({Key.Key_Q, Key.Key_W, Key.Key_Escape, Key.Key_Tab})
_WITH_CTRL_ALT = frozenset({Key.Key_Delete, Key.Key_Backspace})
SWALLOWED = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride)


def is_escape_key(event: QKeyEvent) -> bool:
    """Would this key take the citizen out of the kiosk, or disturb it?"""
    key = Key(event.key())
    mods = event.modifiers()
    alt, ctrl = bool(mods & Mod.AltModifier), bool(mods & Mod.ControlModifier)
    if key in _ALWAYS or key in _FUNCTION or bool(mods & Mod.MetaModifier):
        return True
    if alt and ctrl and key in _WITH_CTRL_ALT:
        return True
    return (alt and key in _WITH_ALT) or (ctrl and key in _WITH_CTRL)


class KioskLock(QObject):
    """The rules, as an event filter: escape keys and context menus swallowed."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ContextMenu:
            return True
        return kind in SWALLOWED and isinstance(event, QKeyEvent) and is_escape_key(event)


_PRESSES = (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)
_RIGHT = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
          QEvent.Type.MouseButtonDblClick)


# The hidden gesture into maintenance: this many presses, this quickly, in the
# top-left corner (where the government's name is, which does nothing else).
GESTURE_PRESSES = 5
GESTURE_WITHIN_S = 4.0
GESTURE_CORNER = 160  # px square


class WindowGuard(KioskLock):
    """On the kiosk window's QWindow, where Qt hands every real key, touch and
    click before any widget sees it: one filter there locks the kiosk down and
    notices the citizen (``touched``). An application-wide filter would also
    run, in Python, for each of the thousands of internal events every new
    screen makes: measured, that put most screen changes over 50 ms.

    A right click never reaches the widgets, so no context menu can open (the
    Menu key is an escape key). It also notices the two ways into maintenance
    mode (``maintenance``: "switch" for the service key a cabinet's switch
    sends, "gesture" for the hidden corner taps); what they lead to is a PIN."""

    touched = Signal()
    maintenance = Signal(str)
    _guarded: QObject | None = None  # the QWindow filtered now
    service_key: QKeySequence | None = None
    _corner_presses: tuple[float, ...] = ()  # when, of the recent presses in the corner

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _RIGHT and isinstance(event, QMouseEvent) \
                and event.button() != Qt.MouseButton.LeftButton:
            return True
        if kind in _PRESSES:
            self._count_corner(_press_position(event))
            self.touched.emit()
            return False
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and self.service_key is not None and not self.service_key.isEmpty() \
                and QKeySequence(event.keyCombination()) == self.service_key:
            if not event.isAutoRepeat():
                self.maintenance.emit("switch")
            return True
        return super().eventFilter(obj, event)

    def _count_corner(self, at: QPointF | None) -> None:
        if at is None or at.x() > GESTURE_CORNER or at.y() > GESTURE_CORNER:
            self._corner_presses = ()
            return
        now = time.monotonic()
        presses = [t for t in self._corner_presses if now - t < GESTURE_WITHIN_S]
        presses.append(now)
        if len(presses) >= GESTURE_PRESSES:
            presses = []
            self.maintenance.emit("gesture")
        self._corner_presses = tuple(presses)

    def guard(self, window: QWidget) -> None:
        """Filter ``window``'s QWindow (again, should the platform have made a
        new one: a change of window flags does)."""
        handle = window.windowHandle()
        if handle is not None and handle is not self._guarded:
            handle.installEventFilter(self)
            self._guarded = handle


def _press_position(event: QEvent) -> QPointF | None:
    if isinstance(event, QMouseEvent):
        return event.position()
    if isinstance(event, QTouchEvent) and event.points():
        return event.points()[0].position()
    return None


class StayFullScreen(QObject):
    """Puts the kiosk's window back to full screen whenever something (a window
    manager's shortcut, a misbehaving dialog) takes it out, or minimises it."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.WindowStateChange and isinstance(obj, QWidget)
                and (not obj.isFullScreen() or obj.isMinimized())):
            # Later, not inside the state change the platform is delivering.
            QTimer.singleShot(0, obj.showFullScreen)
        return False


def lock_window(window: QWidget) -> None:
    """Frameless (no title bar to drag, no close button), above other windows,
    full screen, and kept so; then shown."""
    window.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                          | Qt.WindowType.WindowStaysOnTopHint)
    keeper = StayFullScreen(window)
    window.installEventFilter(keeper)
    window.showFullScreen()
