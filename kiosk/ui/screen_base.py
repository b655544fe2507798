"""What every screen shares: the base class, the text helper and a few layout pieces.

A screen holds no state of its own beyond what it draws, with one exception:
what the citizen is typing (a form, a code) lives in ``draft``, a dict the
window keeps for as long as the same step shows the same data, so a language
switch or an idle warning never loses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import DEFAULT_LANGUAGE, has
from kiosk.journey import View
from kiosk.ui.theme import SIZES
from kiosk.ui.widgets import action_button, clear, connect_action, label

log = logging.getLogger(__name__)

Tr = Callable[..., str]
CENTER = Qt.AlignmentFlag.AlignCenter
RIGHT = Qt.AlignmentFlag.AlignRight


def say(item: Any, lang: str, tr: Tr | None = None) -> str:
    """View text in the citizen's language.

    ``item`` is a ``{lang: text}`` dict (department-supplied text), or a string:
    a text key when ``tr`` is given (a *label*), shown as is otherwise (a *value*:
    a reference, an amount, a name).
    """
    if isinstance(item, Mapping):
        return str(item.get(lang) or item.get(DEFAULT_LANGUAGE)
                   or next(iter(item.values()), ""))
    if item is None:
        return ""
    if tr is not None:
        if has(str(item)):
            return tr(str(item))
        # A label that is no text key breaks docs/screens.md; the citizen still
        # sees the screen (with the text as given) rather than an error.
        log.warning("view label %r is not a text key: shown as it is", item)
    return str(item)


def money(amount: Any, currency: Any = None) -> str:
    """An amount as the gateway sent it ("1,234.50"), after its currency."""
    return f"{currency or 'MOP'} {amount}"


class Screen(QWidget):
    acted = Signal(str, object)

    def __init__(self) -> None:
        super().__init__()
        self.lang = DEFAULT_LANGUAGE
        self.draft: dict[str, Any] = {}
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(SIZES.margin * 2, SIZES.margin, SIZES.margin * 2,
                                     SIZES.margin)
        self.body.setSpacing(SIZES.gap)

    def render(self, view: View, tr: Tr) -> None:
        clear(self.body)
        self.lang = view.lang
        self.build(view, tr)
        for button in self.findChildren(QPushButton):
            if button.property("action"):
                connect_action(button, self.acted.emit)

    def build(self, view: View, tr: Tr) -> None:
        raise NotImplementedError

    def on_shown(self) -> None:
        """Called once the screen is on show and laid out (scroll to what matters)."""

    def shown_again(self) -> None:
        """Called when the very same view is shown again (the step answered the
        same way twice, or an idle countdown ticked)."""

    def label_text(self, item: Any, tr: Tr) -> str:
        return say(item, self.lang, tr)

    def value_text(self, item: Any) -> str:
        return say(item, self.lang)

    def centred(self, *widgets: QWidget) -> None:
        self.body.addStretch(1)
        for w in widgets:
            if isinstance(w, QLabel):
                # Full width, text centred: a wrapped label given only its size
                # hint would be cut off below its first line.
                self.body.addWidget(w)
            else:
                self.body.addWidget(w, 0, CENTER)
        self.body.addStretch(1)


def buttons(*actions: tuple[str, str, str | None]) -> QWidget:
    """A row of action buttons: (text, action, role)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(SIZES.gap)
    for text, action, role in actions:
        layout.addWidget(action_button(text, action, role=role or ""))
    return row


def panel(name: str | None = None) -> tuple[QFrame, QVBoxLayout]:
    """A white card with a thin border, and its layout."""
    frame = QFrame()
    frame.setProperty("role", "panel")
    if name:
        frame.setObjectName(name)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(SIZES.margin, SIZES.gap, SIZES.margin, SIZES.gap)
    layout.setSpacing(SIZES.gap // 2)
    return frame, layout


class FitScroll(QScrollArea):
    """A scroll area as tall as what it holds when there is room for it, and
    scrolling when there is not (given a stretch after it, not a stretch factor)."""

    def sizeHint(self) -> QSize:
        inner = self.widget()
        hint = super().sizeHint()
        if inner is None:
            return hint
        width = self.viewport().width()
        if inner.hasHeightForWidth() and width > 0:
            height = inner.heightForWidth(width)
        else:
            height = inner.sizeHint().height()
        return QSize(hint.width(), height + 2 * self.frameWidth() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 160)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # wrapped text is as tall as the width makes it


_flick: list[Any] = []  # [the anchor widget, the flick gesture type], made once


def touch_scrolling(viewport: QWidget) -> None:
    """A finger drags ``viewport``'s content, with momentum (QScroller).

    QScroller.grabGesture registers a new gesture recognizer at every call, and
    PySide makes a new enum type for each new gesture id it returns: about 3 KB
    that are never freed, several times a journey (a soak of a thousand
    journeys measured it). The flick recognizer serves any target (it drives the
    scroller of the widget it sees), so it is registered once, on an anchor kept
    for the process's life, and each viewport only grabs that gesture."""
    if not _flick:
        anchor = QWidget()
        _flick[:] = [anchor, QScroller.grabGesture(
            anchor, QScroller.ScrollerGestureType.TouchGesture)]
    viewport.grabGesture(_flick[1])
    viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
    QScroller.scroller(viewport)  # the scroller the gesture drives


def scroller(content: QWidget, name: str = "Scroll", *, fit: bool = False) -> QScrollArea:
    """A scroll area that a finger can drag, with a scroll bar wide enough to
    show there is more (and to be dragged too). ``fit``: only as tall as its
    content needs (see ``FitScroll``)."""
    area = FitScroll() if fit else QScrollArea()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    area.viewport().setAutoFillBackground(False)
    content.setAutoFillBackground(False)
    touch_scrolling(area.viewport())
    return area


def rows_grid(rows: Sequence[Mapping[str, Any]], label_of: Callable[[Any], str],
              value_of: Callable[[Any], str], *, name: str = "Rows",
              amounts: bool = False) -> QWidget:
    """Label/value pairs in two columns: the label muted, the value bold
    (``amounts``: values right-aligned, so their digits line up)."""
    box = QWidget()
    box.setObjectName(name)
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(SIZES.gap * 2)
    grid.setVerticalSpacing(SIZES.gap * 2 // 3)
    value_align = Qt.AlignmentFlag.AlignRight if amounts else Qt.AlignmentFlag.AlignLeft
    for i, row in enumerate(rows):
        key = label(label_of(row.get("label")), "rowlabel")
        value = label(value_of(row.get("value")), "rowvalue")
        key.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        value.setAlignment(value_align | Qt.AlignmentFlag.AlignTop)
        grid.addWidget(key, i, 0)
        grid.addWidget(value, i, 1)
    grid.setColumnMinimumWidth(0, 300)
    # Amounts are short and labels long (a certificate's name); other values
    # (a name, an address) are the longer side.
    grid.setColumnStretch(0, 2 if amounts else 1)
    grid.setColumnStretch(1, 1 if amounts else 2)
    return box
