"""Screens where the citizen chooses and checks: pick from options, review before sending."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.journey import View
from kiosk.ui.screen_base import CENTER, RIGHT, Screen, Tr, money, panel, rows_grid, scroller
from kiosk.ui.theme import PALETTE, SIZES
from kiosk.ui.widgets import Illustration, action_button, label


class CheckMark(QWidget):
    """A tick box drawn, not a glyph: the same on every font."""

    def __init__(self, checked: bool, enabled: bool = True, size: int = 48) -> None:
        super().__init__()
        self.checked = checked
        self.colour = PALETTE.primary if enabled else PALETTE.disabled_text
        self.setFixedSize(size, size)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self.width()
        primary = QColor(self.colour)
        p.setPen(QPen(primary, 4))
        p.setBrush(primary if self.checked else QColor(PALETTE.card))
        p.drawRoundedRect(QRectF(3, 3, s - 6, s - 6), 10, 10)
        if self.checked:
            pen = QPen(QColor(PALETTE.on_primary), s * 0.12)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            path = QPainterPath(QPointF(s * 0.26, s * 0.52))
            path.lineTo(QPointF(s * 0.43, s * 0.68))
            path.lineTo(QPointF(s * 0.74, s * 0.34))
            p.drawPath(path)
        p.end()


class OptionCard(QPushButton):
    """A whole option as one big button: tick (when several may be chosen),
    title, detail lines and amount. Sized by what it holds."""

    def __init__(self, action: str, value: Any) -> None:
        super().__init__(objectName=f"act:{action}:{value}")
        self.setProperty("action", action)
        self.setProperty("value", value)
        self.setProperty("role", "option")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(24, 18, 24, 18)
        self.row.setSpacing(SIZES.gap)

    def sizeHint(self) -> QSize:
        return self.row.totalSizeHint().expandedTo(QSize(0, 110))

    def minimumSizeHint(self) -> QSize:
        return self.row.totalMinimumSize().expandedTo(QSize(0, 110))


def _option(o: Mapping[str, Any], multi: bool, selected: bool, lang_text: Any) -> OptionCard:
    card = OptionCard("toggle" if multi else "pick", o["value"])
    card.setProperty("selected", selected)
    disabled = bool(o.get("disabled"))
    card.setEnabled(not disabled)
    if multi:
        card.row.addWidget(CheckMark(selected, not disabled), 0, Qt.AlignmentFlag.AlignVCenter)
    text = QVBoxLayout()
    text.setSpacing(4)
    title = label(lang_text(o.get("title")), "optiontitle")
    text.addWidget(title)
    for line in o.get("lines", []):
        text.addWidget(label(lang_text(line), "optionline"))
    card.row.addLayout(text, 1)
    if o.get("amount") is not None:
        amount = label(money(o["amount"], o.get("currency")), "optionamount", align=RIGHT)
        amount.setWordWrap(False)
        card.row.addWidget(amount, 0, Qt.AlignmentFlag.AlignVCenter)
    if not multi and not disabled:  # a tap picks it and goes on
        chevron = label("›", "amount")
        chevron.setWordWrap(False)
        card.row.addWidget(chevron, 0, Qt.AlignmentFlag.AlignVCenter)
    for w in card.findChildren(QWidget):
        w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        if disabled and w.property("role") in ("optiontitle", "optionline", "optionamount"):
            w.setStyleSheet(f"color: {PALETTE.disabled_text};")
    # Read aloud as one: what it is, its details, what it costs (not the chevron).
    said = [lang_text(o.get("title")), *(lang_text(line) for line in o.get("lines", []))]
    if o.get("amount") is not None:
        said.append(money(o["amount"], o.get("currency")))
    card.setAccessibleName(", ".join(x for x in said if x))
    return card


class ChooseScreen(Screen):
    """One option (a tap picks it) or several (taps tick them, then confirm)."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        multi = bool(d.get("multi"))
        options = list(d.get("options", []))
        self.body.addWidget(label(self.label_text(d["title"], tr), "title", name="ChooseTitle"))
        if not options:
            self.centred(Illustration("info", 160),
                         label(self.label_text(d.get("empty") or "ui.choose.none", tr), "title",
                               align=CENTER, name="ChooseEmpty"))
            return
        hint = "ui.choose.hint_multi" if multi else "ui.choose.hint_single"
        self.body.addWidget(label(tr(hint), "muted"))
        content = QWidget(objectName="Options")
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, SIZES.gap, 0)
        grid.setSpacing(SIZES.gap)
        columns = 1 if len(options) <= 3 else 2
        selected = set(d.get("selected", []))
        for i, o in enumerate(options):
            grid.addWidget(_option(o, multi, o["value"] in selected, self.value_text),
                           i // columns, i % columns)
        grid.setRowStretch((len(options) - 1) // columns + 1, 1)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self.body.addWidget(scroller(content, "OptionsScroll"), 1)
        if multi:
            row = QHBoxLayout()
            row.setSpacing(SIZES.gap * 2)
            if d.get("total") is not None:
                row.addWidget(label(tr("ui.total"), "body"))
                row.addWidget(label(money(d["total"], d.get("currency")), "amount",
                                    name="ChooseTotal"))
            else:
                row.addWidget(label(tr("ui.choose.count", count=len(selected)), "body",
                                    name="ChooseCount"))
            row.addStretch(1)
            confirm = action_button(tr("nav.confirm"), "confirm", role="primary")
            confirm.setMinimumWidth(420)
            confirm.setEnabled(bool(selected))
            row.addWidget(confirm)
            self.body.addLayout(row)


class ReviewScreen(Screen):
    """What will be sent, and what it costs, before it is sent."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(self.label_text(d.get("title") or "ui.review.title", tr),
                                  "title", name="ReviewTitle"))
        self.body.addWidget(label(tr("ui.review.hint"), "muted"))
        card, inside = panel("ReviewRows")
        inside.addWidget(scroller(rows_grid(d.get("rows", []), lambda x: self.label_text(x, tr),
                                            self.value_text), "ReviewScroll", fit=True))
        self.body.addWidget(card)
        if d.get("note"):
            self.body.addWidget(label(self.label_text(d["note"], tr), "body", name="ReviewNote"))
        self.body.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 2)
        if d.get("total") is not None:
            row.addWidget(label(tr("ui.review.total"), "body"))
            row.addWidget(label(money(d["total"], d.get("currency")), "amount",
                                name="ReviewTotal"))
        row.addStretch(1)
        confirm = action_button(tr("nav.confirm"), "confirm", role="primary")
        confirm.setMinimumWidth(420)
        row.addWidget(confirm)
        self.body.addLayout(row)
