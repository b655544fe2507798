"""The code sent by SMS: six boxes and a big digit pad.

What is typed lives in the screen's ``draft`` (kept by the window across
redraws of the same step), so a language switch mid-code loses nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.journey import View
from kiosk.ui.keyboard import PIN, Keyboard
from kiosk.ui.screen_base import CENTER, Screen, Tr
from kiosk.ui.theme import FONT_FAMILIES, PALETTE, SIZES
from kiosk.ui.widgets import Illustration, action_button, label, repolish


class CodeBoxes(QWidget):
    """One box per digit of the code: the next one to fill is outlined."""

    BOX = (100, 124)
    GAP = 16

    def __init__(self, length: int) -> None:
        super().__init__(objectName="Code")
        self.length = length
        self.text = ""
        self.setFixedSize(length * self.BOX[0] + (length - 1) * self.GAP, self.BOX[1])
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_text(self, text: str) -> None:
        self.text = text
        self.setAccessibleName(" ".join(text))
        self.update()

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(list(FONT_FAMILIES))
        font.setPixelSize(SIZES.title + 8)
        font.setBold(True)
        p.setFont(font)
        w, h = self.BOX
        for i in range(self.length):
            box = QRectF(i * (w + self.GAP) + 2, 2, w - 4, h - 4)
            current = i == len(self.text)
            colour = PALETTE.primary if current or i < len(self.text) else PALETTE.border
            p.setPen(QPen(QColor(colour), 5 if current else 3))
            p.setBrush(QColor(PALETTE.selected_bg if current else PALETTE.card))
            p.drawRoundedRect(box, 14, 14)
            if i < len(self.text):
                p.setPen(QColor(PALETTE.text))
                p.drawText(box, CENTER, self.text[i])
        p.end()


class OtpScreen(Screen):
    """The code sent by SMS: six boxes, a big digit pad, "send it again"."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.tr = tr
        self.length = int(d.get("length") or 6)
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 3)
        left = QVBoxLayout()
        left.setSpacing(SIZES.gap)
        left.addStretch(1)
        for picture in Illustration.unless_large("phone", 120):
            left.addWidget(picture)
        left.addWidget(label(tr("ui.otp.title"), "title"))
        left.addWidget(label(tr("ui.otp.sent", phone=self.value_text(d.get("phone_masked"))),
                             "body", name="OtpSentTo"))
        self.boxes = CodeBoxes(self.length)
        left.addWidget(self.boxes)
        self.error = self.label_text(d["error"], tr) if d.get("error") else ""
        self.status = label(self.error, "fielderror", name="OtpStatus")
        left.addWidget(self.status)
        if d.get("attempts_left") is not None:
            left.addWidget(label(tr("ui.otp.attempts_left", count=d["attempts_left"]), "muted",
                                 name="OtpAttempts"))
        resend = action_button(tr("ui.otp.resend"), "resend")
        left.addWidget(resend, 0, Qt.AlignmentFlag.AlignLeft)
        left.addStretch(1)
        row.addLayout(left, 1)
        self.pad = Keyboard(PIN, tr, name="Pad")
        self.pad.typed.connect(self._typed)
        self.pad.erased.connect(self._erased)
        row.addWidget(self.pad, 0, Qt.AlignmentFlag.AlignVCenter)
        self.body.addLayout(row, 1)
        self._show_code()

    @property
    def code(self) -> str:
        return str(self.draft.get("code", ""))

    def _show_code(self) -> None:
        self.boxes.set_text(self.code)
        checking = bool(self.draft.get("checking"))
        self.pad.setEnabled(not checking)
        if checking:
            self.status.setProperty("role", "muted")
            self.status.setText(self.tr("ui.otp.checking"))
            repolish(self.status)

    def _typed(self, digit: str) -> None:
        if self.draft.get("checking") or len(self.code) >= self.length or not digit.isdigit():
            return
        self.draft["code"] = self.code + digit
        if len(self.code) == self.length:
            self.draft["checking"] = True
        self._show_code()
        if self.draft.get("checking"):
            self.acted.emit("submit_code", self.code)

    def _erased(self) -> None:
        if not self.draft.get("checking"):
            self.draft["code"] = self.code[:-1]
            self._show_code()

    def shown_again(self) -> None:
        """The step showed this very view again (the same answer twice): type anew."""
        if self.draft.get("checking"):
            self.draft.update(code="", checking=False)
            self.status.setProperty("role", "fielderror")
            self.status.setText(self.error)
            repolish(self.status)
            self._show_code()
