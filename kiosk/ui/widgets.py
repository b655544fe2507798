"""Small building blocks shared by the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QLabel, QLayout, QPushButton, QSizePolicy, QWidget

from kiosk.ui.theme import PALETTE, SIZES


def label(text: str, role: str = "body", *, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
          name: str | None = None) -> QLabel:
    w = QLabel(text)
    # Plain text always: a department's or the gateway's text that looks like
    # HTML must be shown as it is, never rendered (links, images, layout).
    w.setTextFormat(Qt.TextFormat.PlainText)
    w.setProperty("role", role)
    w.setWordWrap(True)
    w.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    w.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    if name:
        w.setObjectName(name)
    return w


def action_button(text: str, action: str, value: Any = None, *, role: str = "") -> QPushButton:
    """A button that stands for a journey action. Its object name is
    ``act:<action>[:<value>]``, which the autopilot and the tests tap by."""
    b = QPushButton(text)
    b.setObjectName(f"act:{action}" if value is None else f"act:{action}:{value}")
    b.setProperty("action", action)
    b.setProperty("value", value)
    if role:
        b.setProperty("role", role)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return b


def connect_action(button: QPushButton, emit: Callable[[str, Any], None]) -> None:
    """Route a tap on an ``action_button`` to ``emit(action, value)``."""
    action, value = button.property("action"), button.property("value")
    button.clicked.connect(lambda _checked=False: emit(action, value))


def take_all(layout: QLayout) -> list[QWidget]:
    """Empty ``layout``, nested layouts included (deleted); the widgets it held,
    still alive, for the caller to keep or discard.

    Each item taken is deleted here: ``takeAt`` hands it to the caller and
    PySide never frees it, about 80 bytes for every widget of every redraw (a
    soak of a thousand journeys found them by heaptrack)."""
    widgets: list[QWidget] = []
    while layout.count():
        item = layout.takeAt(0)
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widgets.append(widget)
        elif inner is not None:
            widgets += take_all(inner)
        shiboken6.delete(item)  # a widget's item, a spacer, or the nested layout itself
    return widgets


def discard(widget: QWidget) -> None:
    """Off the screen now, not at the next event loop turn (so old and new
    never draw on top of each other), and deleted once control is back in the
    event loop."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def clear(layout: QLayout) -> None:
    """Remove and delete every item of ``layout``, nested layouts included."""
    for widget in take_all(layout):
        discard(widget)


class Illustration(QWidget):
    """Simple line drawings that say what to do without words: a card going into
    the reader, a tick for done, a warning sign for errors, a printer."""

    def __init__(self, kind: str, size: int = 260) -> None:
        super().__init__()
        self.kind = kind
        size = int(size * SIZES.illustration)
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @classmethod
    def unless_large(cls, kind: str, size: int) -> list[QWidget]:
        """The picture, or none with large text on: where the words fill the
        screen (a reference to copy down, a code to type), they need the room."""
        return [] if SIZES.illustration < 1 else [cls(kind, size)]

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self.width()
        primary = QColor(PALETTE.primary)
        getattr(self, f"_draw_{self.kind}", self._draw_card)(p, s, primary)
        p.end()

    def _draw_card(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(QPen(c, 6))
        p.setBrush(QColor(PALETTE.card))
        p.drawRoundedRect(QRectF(s * 0.18, s * 0.08, s * 0.64, s * 0.44), 16, 16)
        p.setBrush(QColor(PALETTE.accent))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(s * 0.26, s * 0.2, s * 0.14, s * 0.11), 5, 5)
        p.setPen(QPen(c, 6))
        p.drawLine(QPointF(s * 0.5, s * 0.56), QPointF(s * 0.5, s * 0.78))
        p.drawLine(QPointF(s * 0.42, s * 0.70), QPointF(s * 0.5, s * 0.78))
        p.drawLine(QPointF(s * 0.58, s * 0.70), QPointF(s * 0.5, s * 0.78))
        p.setBrush(QColor(PALETTE.primary_dark))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(s * 0.12, s * 0.84, s * 0.76, s * 0.08), 8, 8)

    def _draw_done(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PALETTE.success))
        p.drawEllipse(QRectF(s * 0.1, s * 0.1, s * 0.8, s * 0.8))
        pen = QPen(QColor(PALETTE.card), s * 0.08)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        path = QPainterPath(QPointF(s * 0.3, s * 0.52))
        path.lineTo(QPointF(s * 0.45, s * 0.66))
        path.lineTo(QPointF(s * 0.72, s * 0.37))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def _draw_error(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PALETTE.danger))
        path = QPainterPath(QPointF(s * 0.5, s * 0.1))
        path.lineTo(QPointF(s * 0.92, s * 0.86))
        path.lineTo(QPointF(s * 0.08, s * 0.86))
        path.closeSubpath()
        p.drawPath(path)
        p.setBrush(QColor(PALETTE.card))
        p.drawRoundedRect(QRectF(s * 0.46, s * 0.34, s * 0.08, s * 0.3), 6, 6)
        p.drawEllipse(QRectF(s * 0.455, s * 0.70, s * 0.09, s * 0.09))

    def _draw_warning(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PALETTE.accent))
        path = QPainterPath(QPointF(s * 0.5, s * 0.1))
        path.lineTo(QPointF(s * 0.92, s * 0.86))
        path.lineTo(QPointF(s * 0.08, s * 0.86))
        path.closeSubpath()
        p.drawPath(path)
        p.setBrush(QColor(PALETTE.text))
        p.drawRoundedRect(QRectF(s * 0.46, s * 0.34, s * 0.08, s * 0.3), 6, 6)
        p.drawEllipse(QRectF(s * 0.455, s * 0.70, s * 0.09, s * 0.09))

    def _draw_info(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        p.drawEllipse(QRectF(s * 0.1, s * 0.1, s * 0.8, s * 0.8))
        p.setBrush(QColor(PALETTE.card))
        p.drawEllipse(QRectF(s * 0.45, s * 0.24, s * 0.1, s * 0.1))
        p.drawRoundedRect(QRectF(s * 0.455, s * 0.42, s * 0.09, s * 0.34), 6, 6)

    def _draw_phone(self, p: QPainter, s: float, c: QColor) -> None:
        # A phone with a message bubble: "a code was sent to your phone".
        p.setPen(QPen(c, s * 0.04))
        p.setBrush(QColor(PALETTE.card))
        p.drawRoundedRect(QRectF(s * 0.28, s * 0.06, s * 0.44, s * 0.88), s * 0.07, s * 0.07)
        p.drawLine(QPointF(s * 0.44, s * 0.84), QPointF(s * 0.56, s * 0.84))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PALETTE.accent))
        p.drawRoundedRect(QRectF(s * 0.36, s * 0.26, s * 0.28, s * 0.18), s * 0.04, s * 0.04)
        p.setBrush(QColor(PALETTE.card))
        for i in range(3):
            p.drawEllipse(QRectF(s * (0.405 + i * 0.07), s * 0.33, s * 0.04, s * 0.04))

    def _draw_wait(self, p: QPainter, s: float, c: QColor) -> None:
        p.setPen(QPen(QColor(PALETTE.border), s * 0.06))
        p.drawEllipse(QRectF(s * 0.15, s * 0.15, s * 0.7, s * 0.7))
        pen = QPen(c, s * 0.06)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawArc(QRectF(s * 0.15, s * 0.15, s * 0.7, s * 0.7), 90 * 16, -120 * 16)

    def _draw_printer(self, p: QPainter, s: float, c: QColor) -> None:
        # A sheet coming out of a printer: "something is printed for you".
        p.setPen(QPen(c, s * 0.03))
        p.setBrush(QColor(PALETTE.card))
        p.drawRect(QRectF(s * 0.3, s * 0.1, s * 0.4, s * 0.3))  # paper tray behind
        p.setBrush(QColor(PALETTE.primary))
        p.drawRoundedRect(QRectF(s * 0.12, s * 0.35, s * 0.76, s * 0.3), s * 0.05, s * 0.05)
        p.setBrush(QColor(PALETTE.card))
        p.drawRect(QRectF(s * 0.28, s * 0.55, s * 0.44, s * 0.35))  # the printout
        p.setPen(QPen(QColor(PALETTE.border), s * 0.025))
        for row in (0.65, 0.72, 0.79):
            p.drawLine(QPointF(s * 0.34, s * row), QPointF(s * 0.66, s * row))


def repolish(widget: QWidget) -> None:
    """Apply the stylesheet again after a property it selects on changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class IconButton(QPushButton):
    """A square button with a drawn icon (no icon font to install, no emoji the
    kiosk's fonts may lack): ``text_size``, ``contrast``, ``speech`` (toggles, on
    the top bar), ``softer``, ``louder``, ``repeat`` (on the bottom bar: ``bar``
    False). It is an ``action_button`` in every other way; its accessible name
    says what it does, and speech reads that name."""

    def __init__(self, icon: str, action: str, value: Any, name: str, *,
                 bar: bool = True) -> None:
        super().__init__()
        self.icon = icon
        self.on_bar = bar
        self.setObjectName(f"act:{action}:{value}")
        self.setProperty("action", action)
        self.setProperty("value", value)
        self.setProperty("role", "icon" if bar else "iconbutton")
        self.setAccessibleName(name)
        self.setToolTip(name)
        self.setCheckable(bar)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)  # the styled frame: border, and filled when checked
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        on_dark = self.on_bar != self.isChecked()  # the top bar is dark, checked is light
        colour = QColor(PALETTE.on_primary if on_dark else PALETTE.primary)
        s = float(min(self.width(), self.height()))
        getattr(self, f"_draw_{self.icon}")(p, s, colour)
        p.end()

    def _draw_text_size(self, p: QPainter, s: float, c: QColor) -> None:
        font = p.font()
        font.setBold(True)
        p.setPen(c)
        for size, x in ((s * 0.30, s * 0.16), (s * 0.50, s * 0.42)):
            font.setPixelSize(int(size))
            p.setFont(font)
            p.drawText(QPointF(x, s * 0.70), "A")

    def _draw_contrast(self, p: QPainter, s: float, c: QColor) -> None:
        box = QRectF(s * 0.22, s * 0.22, s * 0.56, s * 0.56)
        p.setPen(QPen(c, s * 0.06))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(box)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        p.drawPie(box, 90 * 16, 180 * 16)

    def _draw_speech(self, p: QPainter, s: float, c: QColor, waves: int = 2) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        body = QPainterPath(QPointF(s * 0.18, s * 0.40))
        for x, y in ((0.32, 0.40), (0.50, 0.24), (0.50, 0.76), (0.32, 0.60), (0.18, 0.60)):
            body.lineTo(QPointF(s * x, s * y))
        body.closeSubpath()
        p.drawPath(body)
        pen = QPen(c, s * 0.055)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in (0.12, 0.22)[:waves]:
            p.drawArc(QRectF(s * (0.50 - r), s * (0.50 - r), s * 2 * r, s * 2 * r),
                      -45 * 16, 90 * 16)

    def _draw_softer(self, p: QPainter, s: float, c: QColor) -> None:
        self._draw_speech(p, s * 0.8, c, waves=1)
        self._sign(p, s, c, plus=False)

    def _draw_louder(self, p: QPainter, s: float, c: QColor) -> None:
        self._draw_speech(p, s * 0.8, c, waves=2)
        self._sign(p, s, c, plus=True)

    def _sign(self, p: QPainter, s: float, c: QColor, *, plus: bool) -> None:
        pen = QPen(c, s * 0.07)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        x, y, r = s * 0.78, s * 0.66, s * 0.11
        p.drawLine(QPointF(x - r, y), QPointF(x + r, y))
        if plus:
            p.drawLine(QPointF(x, y - r), QPointF(x, y + r))

    def _draw_repeat(self, p: QPainter, s: float, c: QColor) -> None:
        pen = QPen(c, s * 0.07)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        box = QRectF(s * 0.25, s * 0.25, s * 0.5, s * 0.5)
        p.drawArc(box, 60 * 16, 270 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        head = QPainterPath(QPointF(s * 0.52, s * 0.14))
        head.lineTo(QPointF(s * 0.68, s * 0.27))
        head.lineTo(QPointF(s * 0.50, s * 0.36))
        head.closeSubpath()
        p.drawPath(head)
