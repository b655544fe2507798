"""Lock-down: nothing a person can press takes them out of the kiosk.

An event filter on the whole application swallows the keys and menus that
would leave or disturb it: Escape, Alt+F4, Alt+Tab, the Windows/Meta key,
Ctrl+Q/W, Ctrl+Alt+Delete/Backspace, the function keys, and context menus.
What the application never sees (a compositor's own shortcuts, switching to a
text console) is the compositor's to refuse: the kiosk runs under cage, which
offers no desktop to reach (see packaging, issue 9).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

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
    """Install with ``app.installEventFilter(KioskLock(app))``."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ContextMenu:
            return True
        return kind in SWALLOWED and isinstance(event, QKeyEvent) and is_escape_key(event)
