"""Screens at the end of a service: paying by QR, and what came of it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget
from reportlab.graphics.barcode.qr import QrCodeWidget

from kiosk.journey import View
from kiosk.ui.screen_base import CENTER, Screen, Tr, buttons, money, panel, rows_grid, scroller
from kiosk.ui.theme import SIZES
from kiosk.ui.widgets import Illustration, action_button, label

QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks


@lru_cache(maxsize=16)  # a redraw (a language switch, the countdown) encodes nothing again
def qr_modules(payload: str) -> list[list[bool]]:
    """The dark/light modules of a QR code of ``payload`` (error correction M)."""
    widget = QrCodeWidget(payload, barLevel="M")
    widget.qr.make()
    return [[bool(m) for m in row] for row in widget.qr.modules]


class QrCode(QWidget):
    """A QR code drawn module by module, on white with its quiet zone."""

    def __init__(self, payload: str, size: int) -> None:
        super().__init__(objectName="PaymentQr")
        self.payload = payload
        self.modules = qr_modules(payload)
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        count = len(self.modules) + 2 * QUIET_ZONE
        cell = self.width() // count  # whole pixels: no blurred module edges
        offset = (self.width() - cell * count) // 2 + QUIET_ZONE * cell
        p.fillRect(self.rect(), QColor("#ffffff"))
        black = QColor("#000000")
        for r, row in enumerate(self.modules):
            for c, dark in enumerate(row):
                if dark:
                    p.fillRect(QRectF(offset + c * cell, offset + r * cell, cell, cell), black)
        p.end()


def _clock(seconds: int) -> str:
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class PaymentScreen(Screen):
    """The QR to scan with a mobile wallet, what is paid for, and the time left."""

    QR_SIZE = 500

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.tr = tr
        status = d.get("status", "pending")
        if status != "pending":
            paid = status == "paid"
            widgets: list[QWidget] = [
                Illustration("done" if paid else "error", 200),
                label(tr("ui.payment.paid" if paid else "ui.payment.expired"),
                      "success" if paid else "error", align=CENTER, name="PaymentStatus"),
                label(money(d.get("amount", ""), d.get("currency")), "amount", align=CENTER,
                      name="PaymentAmount")]
            if not paid:
                widgets.append(action_button(tr("nav.ok"), "cancel_payment", role="primary"))
            self.centred(*widgets)
            return
        self.body.addWidget(label(tr("ui.payment.title"), "title", name="PaymentTitle"))
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 3)
        left = QVBoxLayout()
        left.setSpacing(SIZES.gap // 2)
        frame, inside = panel("QrPanel")
        inside.setContentsMargins(SIZES.gap, SIZES.gap, SIZES.gap, SIZES.gap)
        inside.addWidget(QrCode(str(d.get("qr_payload", "")), self.QR_SIZE), 0, CENTER)
        left.addWidget(frame, 0, CENTER)
        scan = label(tr("ui.payment.scan"), "body", align=CENTER, name="PaymentScan")
        scan.setFixedWidth(self.QR_SIZE + 2 * SIZES.gap)
        left.addWidget(scan, 0, CENTER)
        left.addStretch(1)
        row.addLayout(left, 0)
        row.addLayout(self._summary(d, tr), 1)
        self.body.addLayout(row, 1)

    def _summary(self, d: Mapping[str, Any], tr: Tr) -> QVBoxLayout:
        right = QVBoxLayout()
        right.setSpacing(SIZES.gap)
        right.addWidget(label(tr("ui.payment.amount"), "body"))
        right.addWidget(label(money(d.get("amount", ""), d.get("currency")), "display",
                              name="PaymentAmount"))
        items = [{"label": i.get("label"), "value": money(i.get("amount"), d.get("currency"))}
                 for i in d.get("items", [])]
        if items:
            card, inside = panel("PaymentItems")
            inside.addWidget(rows_grid(items, lambda x: self.label_text(x, tr), self.value_text,
                                       amounts=True))
            right.addWidget(card)
        right.addStretch(1)
        # The deadline outlives a redraw (a language switch): kept in the draft.
        deadline = self.draft.setdefault(
            "deadline", time.monotonic() + float(d.get("expires_in_s") or 0))
        self.deadline = float(deadline)
        self.countdown = label("", "rowvalue", name="PaymentCountdown")
        self._tick()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(1000)
        cancel = action_button(tr("ui.payment.cancel"), "cancel_payment")
        # The time left beside the way out of it: one row, so large text still fits.
        last = QHBoxLayout()
        last.setSpacing(SIZES.gap)
        last.addWidget(self.countdown, 1)
        last.addWidget(cancel)
        right.addLayout(last)
        return right

    def _tick(self) -> None:
        left = round(self.deadline - time.monotonic())
        self.countdown.setText(self.tr("ui.payment.time_left", time=_clock(left)))


TONES = {"ok": ("done", "success"), "warning": ("warning", "warning"),
         "error": ("error", "error"), "info": ("info", "info")}


def _table(table: Mapping[str, Any], label_of: Any, value_of: Any) -> QWidget:
    columns: Sequence[Any] = table.get("columns", [])
    box = QWidget(objectName="ResultTable")
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(SIZES.gap * 2)
    grid.setVerticalSpacing(SIZES.gap // 3)
    for c, column in enumerate(columns):
        grid.addWidget(label(label_of(column), "th"), 0, c)
    for r, values in enumerate(table.get("rows", []), start=1):
        rule = QFrame()
        rule.setProperty("role", "rule")
        grid.addWidget(rule, 2 * r - 1, 0, 1, max(1, len(columns)))
        for c, value in enumerate(values):
            grid.addWidget(label(value_of(value), "td"), 2 * r, c)
    for c in range(len(columns)):
        grid.setColumnStretch(c, 1)
    return box


class ResultScreen(Screen):
    """What the citizen came to see: a verdict, its details, maybe a table."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        drawing, role = TONES.get(str(d.get("tone", "info")), TONES["info"])
        head = QHBoxLayout()
        head.setSpacing(SIZES.gap)
        head.addWidget(Illustration(drawing, 96))
        head.addWidget(label(self.label_text(d["title"], tr), role, name="ResultTitle"), 1)
        self.body.addLayout(head)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, SIZES.gap, 0)  # room for the scroll bar
        column.setSpacing(SIZES.gap)
        if d.get("rows"):
            column.addWidget(rows_grid(d["rows"], lambda x: self.label_text(x, tr),
                                       self.value_text, name="ResultRows"))
        if d.get("table"):
            column.addWidget(_table(d["table"], lambda x: self.label_text(x, tr),
                                    self.value_text))
            if d["table"].get("more"):
                column.addWidget(label(tr("result.more_rows", count=d["table"]["more"]),
                                       "muted", name="ResultMore"))
        card, inside = panel("ResultDetails")
        inside.addWidget(scroller(content, "ResultScroll", fit=True))
        self.body.addWidget(card)
        self.body.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 2)
        if d.get("note"):
            row.addWidget(label(self.label_text(d["note"], tr), "body", name="ResultNote"), 1)
        else:
            row.addStretch(1)
        actions: list[tuple[str, str, str | None]] = []
        if d.get("can_print"):
            actions.append((tr("ui.result.print"), "print", None))
        actions.append((tr("nav.finish"), "finish", "primary"))
        row.addWidget(buttons(*actions), 0, Qt.AlignmentFlag.AlignBottom)
        self.body.addLayout(row)
