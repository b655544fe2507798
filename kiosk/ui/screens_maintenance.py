"""Maintenance mode's screens: out of service (what citizens see), the
technician's PIN, the devices and their tests, the camera preview, the touch
grid, counters and the self-test on leaving (kiosk/maintenance drives them).

Technicians read these screens too in the language they choose; nothing is
hard-coded, every text comes from kiosk/i18n/texts/maintenance.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.i18n import LANGUAGES, has, t
from kiosk.identity.frames import Frame
from kiosk.journey import View
from kiosk.ui.keyboard import PIN, Keyboard
from kiosk.ui.screen_base import CENTER, Screen, Tr, panel, scroller
from kiosk.ui.screens_otp import CodeBoxes
from kiosk.ui.theme import PALETTE, SIZES
from kiosk.ui.widgets import Illustration, action_button, label

LEFT = Qt.AlignmentFlag.AlignLeft


def notice_label(notice: Mapping[str, Any] | None, tr: Tr) -> QLabel | None:
    """A page's one-line outcome ("written to the USB stick", "paper replaced")."""
    if not notice:
        return None
    return label(tr(notice["key"], **notice.get("values", {})),
                 "body" if notice.get("ok") else "fielderror", name="Notice")


def device_name(name: str, tr: Tr) -> str:
    return tr(f"maint.device.{name}") if has(f"maint.device.{name}") else name


def state_text(state: str, tr: Tr) -> str:
    return tr(f"maint.state.{state}") if has(f"maint.state.{state}") else state


def result_text(row: Mapping[str, Any], tr: Tr) -> str:
    verdict = tr("maint.test.passed" if row["passed"] else "maint.test.failed")
    return f"{verdict}: {tr(row['key'], **row.get('values', {}))}"


class OutOfServiceScreen(Screen):
    """In every language at once: whoever walks up must understand."""

    def build(self, view: View, tr: Tr) -> None:
        widgets: list[QWidget] = [Illustration("warning", 220)]
        for lang in LANGUAGES:
            for key, role in (("oos.title", "title"), ("oos.body", "body")):
                text = label(t(key, lang), role, align=CENTER)
                text.setProperty("lang", lang)  # each in its own language, on purpose
                widgets.append(text)
        self.centred(*widgets)


class PinScreen(Screen):
    """The technician's PIN: dots for the digits, a pad, enter and cancel."""

    MAX = 12

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        state = d.get("state", "enter")
        self.digits = ""
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 3)
        left = QVBoxLayout()
        left.setSpacing(SIZES.gap)
        left.addStretch(1)
        left.addWidget(label(tr("maint.title"), "title"))
        left.addWidget(label(tr("maint.pin.prompt"), "body"))
        self.boxes = CodeBoxes(self.MAX)
        self.boxes.BOX = (56, 80)
        self.boxes.GAP = 8
        self.boxes.setFixedSize(self.MAX * 56 + (self.MAX - 1) * 8, 80)
        self.boxes.setAccessibleName("")
        left.addWidget(self.boxes)
        messages = {"checking": ("maint.pin.checking", "muted"),
                    "wrong": ("maint.pin.wrong", "fielderror"),
                    "locked": ("maint.pin.locked", "fielderror"),
                    "error": ("maint.pin.error", "fielderror")}
        if state in messages:
            key, role = messages[state]
            left.addWidget(label(tr(key, **d), role, name="PinStatus"))
        buttons = QHBoxLayout()
        buttons.setSpacing(SIZES.gap)
        self.enter = action_button(tr("maint.pin.enter"), "maint.pin_enter", role="primary")
        self.enter.clicked.connect(self._submit)
        self.enter.setEnabled(False)
        buttons.addWidget(action_button(tr("maint.cancel"), "maint.cancel"))
        buttons.addWidget(self.enter)
        left.addLayout(buttons)
        left.addStretch(1)
        row.addLayout(left, 1)
        self.pad = Keyboard(PIN, tr, name="Pad")
        self.pad.typed.connect(self._typed)
        self.pad.erased.connect(self._erased)
        self.pad.setEnabled(state not in ("checking", "locked"))
        row.addWidget(self.pad, 0, Qt.AlignmentFlag.AlignVCenter)
        self.body.addLayout(row, 1)

    def _typed(self, digit: str) -> None:
        if digit.isdigit() and len(self.digits) < self.MAX:
            self.digits += digit
            self._update()

    def _erased(self) -> None:
        self.digits = self.digits[:-1]
        self._update()

    def _update(self) -> None:
        # Dots, never the digits: someone may be looking over the shoulder.
        self.boxes.set_text("•" * len(self.digits))
        self.boxes.setAccessibleName("")
        self.enter.setEnabled(len(self.digits) >= 6)

    def _submit(self) -> None:
        pin, self.digits = self.digits, ""
        self._update()
        self.acted.emit("maint.pin", pin)


class MaintenanceHomeScreen(Screen):
    """Each device's state with a way in to it, the tools, and the way out."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(tr("maint.devices"), "title"))
        cards = QHBoxLayout()
        cards.setSpacing(SIZES.gap)
        for row in d["devices"]:  # side by side: the tools and the way out stay in view
            box, column = panel(f"Device:{row['name']}")
            for shown in (label(device_name(row["name"], tr), "rowvalue"),
                          label(state_text(row["state"], tr),
                                "body" if row["usable"] else "fielderror",
                                name=f"State:{row['name']}")):
                column.addWidget(shown)
            column.addWidget(action_button(tr("maint.device.open"), "maint.device", row["name"]))
            cards.addWidget(box, 1)
        self.body.addLayout(cards)
        notice = notice_label(d.get("notice"), tr)
        if notice is not None:
            self.body.addWidget(notice)
        if d.get("restart_pending"):
            self.body.addWidget(label(tr("maint.restart_pending"), "muted"))
        self.body.addStretch(1)
        tools = QHBoxLayout()
        tools.setSpacing(SIZES.gap)
        for tool in d["tools"]:
            tools.addWidget(action_button(tr(f"maint.tool.{tool}"), f"maint.{tool}"))
        tools.addStretch(1)
        self.body.addLayout(tools)
        out = QHBoxLayout()
        out.setSpacing(SIZES.gap)
        out.addWidget(action_button(tr("maint.lock"), "maint.lock"))
        out.addStretch(1)
        out.addWidget(action_button(tr("maint.leave"), "maint.leave", role="primary"))
        self.body.addLayout(out)


class DeviceScreen(Screen):
    """One device: its status fields, recent changes, and its tests."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        name = d["name"]
        heading = device_name(name, tr)
        self.body.addWidget(label(heading, "title"))
        facts = [tr("maint.device.driver", driver=d["driver"])]
        if d["simulated"]:
            facts.append(tr("maint.device.simulated"))
        self.body.addWidget(label(" · ".join(facts), "muted"))
        columns = QHBoxLayout()
        columns.setSpacing(SIZES.gap * 2)
        status, status_rows = panel("Status")
        status_rows.addWidget(label(tr("maint.device.status"), "rowlabel"))
        for field, value in d["status"].items():
            shown = state_text(str(value), tr) if field == "device" else str(value)
            key = f"maint.field.{field}"
            status_rows.addWidget(label(f"{tr(key) if has(key) else field}: {shown}", "body"))
        columns.addWidget(status, 1)
        history, history_rows = panel("History")
        history_rows.addWidget(label(tr("maint.device.history"), "rowlabel"))
        for change in d["history"]:
            history_rows.addWidget(label(f"{change['at']}  {state_text(change['state'], tr)}"
                                         f"  {change['reason']}", "muted"))
        if not d["history"]:
            history_rows.addWidget(label(tr("maint.device.no_history"), "muted"))
        columns.addWidget(history, 1)
        self.body.addLayout(columns)
        if d["running"]:
            self.body.addWidget(label(tr("maint.test.running"), "muted", name="TestResult"))
        elif d.get("result"):
            self.body.addWidget(label(result_text(d["result"], tr),
                                      "body" if d["result"]["passed"] else "fielderror",
                                      name="TestResult"))
        self.body.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap)
        row.addWidget(action_button(tr("maint.back"), "maint.home"))
        row.addStretch(1)
        for action in d["actions"]:
            key = f"maint.action.test.{d['kind']}" if action == "test" else f"maint.action.{action}"
            b = action_button(tr(key), f"maint.{action}", name, role="primary")
            b.setEnabled(not d["running"])
            row.addWidget(b)
        self.body.addLayout(row)


class CameraScreen(Screen):
    """The camera's live picture with the face box, as the citizen's face step
    draws it; nothing is kept (each frame is wiped once drawn)."""

    PREVIEW = (800, 600)

    def build(self, view: View, tr: Tr) -> None:
        self.tr = tr
        self.body.addWidget(label(tr("maint.camera.title"), "title"))
        self.preview = QLabel(objectName="CameraPreview")
        self.preview.setFixedSize(*self.PREVIEW)
        self.preview.setStyleSheet("background: #10181f; border-radius: 18px;")
        self.preview.setAlignment(CENTER)
        self.guidance = label(tr("maint.camera.hint"), "body", name="CameraGuidance")
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 2)
        row.addWidget(self.preview)
        side = QVBoxLayout()
        side.addWidget(self.guidance)
        side.addStretch(1)
        side.addWidget(action_button(tr("maint.back"), "maint.device", view.data.get("name")),
                       0, LEFT)
        row.addLayout(side, 1)
        self.body.addLayout(row)
        self.body.addStretch(1)
        self.frames = 0
        self.last_box: Any = None

    def show_frame(self, frame: Frame, overlay: Mapping[str, Any], tr: Tr) -> None:
        image = QImage(bytes(frame.rgb), frame.width, frame.height, frame.width * 3,
                       QImage.Format.Format_RGB888)
        pixmap = QPixmap.fromImage(image).scaled(*self.PREVIEW,
                                                 Qt.AspectRatioMode.KeepAspectRatio)
        box = self.last_box = overlay.get("box")
        if box:
            scale = pixmap.width() / frame.width
            p = QPainter(pixmap)
            p.setPen(QPen(QColor(PALETTE.success), 6))
            x, y, w, h = box
            p.drawRoundedRect(QRectF(x * scale, y * scale, w * scale, h * scale), 16, 16)
            p.end()
        self.preview.setPixmap(pixmap)
        self.frames += 1
        guidance = overlay.get("guidance")
        if guidance:
            key = f"face.guidance.{guidance}"
            self.guidance.setText(tr("maint.camera.guidance",
                                     guidance=tr(key) if has(key) else guidance))


class TouchGrid(QWidget):
    """Cells that turn green where a finger lands: a dead zone of the
    touchscreen shows as a cell that never turns."""

    def __init__(self, rows: int, cols: int, on_change: Any) -> None:
        super().__init__(objectName="TouchGrid")
        self.rows, self.cols = rows, cols
        self.touched: set[tuple[int, int]] = set()
        self.on_change = on_change
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        if not (0 <= x < self.width() and 0 <= y < self.height()):
            return None
        return int(y * self.rows // self.height()), int(x * self.cols // self.width())

    def press(self, x: float, y: float) -> None:
        cell = self.cell_at(x, y)
        if cell is not None and cell not in self.touched:
            self.touched.add(cell)
            self.update()
            self.on_change()

    def event(self, e: QEvent) -> bool:
        if e.type() in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate):
            for point in e.points():  # type: ignore[attr-defined]
                pos = point.position()
                self.press(pos.x(), pos.y())
            return True
        if e.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            pos = e.position()  # type: ignore[attr-defined]
            self.press(pos.x(), pos.y())
            return True
        return super().event(e)

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        w, h = self.width() / self.cols, self.height() / self.rows
        for r in range(self.rows):
            for c in range(self.cols):
                on = (r, c) in self.touched
                p.setPen(QPen(QColor(PALETTE.border), 2))
                p.setBrush(QColor(PALETTE.success if on else PALETTE.card))
                p.drawRect(QRectF(c * w + 2, r * h + 2, w - 4, h - 4))
        p.end()


class TouchScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        self.tr = tr
        rows, cols = int(view.data["rows"]), int(view.data["cols"])
        self.cells = rows * cols
        self.hint = label(tr("maint.touch.hint", left=self.cells), "body", name="TouchLeft")
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        self.done = action_button(tr("maint.touch.give_up"), "maint.touch_end")
        self.done.clicked.connect(self._finish)
        top.addWidget(self.done)
        self.body.addLayout(top)
        self.grid = TouchGrid(rows, cols, self._changed)
        self.body.addWidget(self.grid, 1)

    def _changed(self) -> None:
        left = self.cells - len(self.grid.touched)
        self.hint.setText(self.tr("maint.touch.hint", left=left))
        if left == 0:
            self._finish()

    def _finish(self) -> None:
        self.acted.emit("maint.touch_done", {"touched": len(self.grid.touched),
                                             "cells": self.cells})


class CountersScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(tr("maint.counters.title"), "title"))
        counts = QWidget()
        grid = QGridLayout(counts)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, (name, value) in enumerate(d["counters"].items()):
            key = f"maint.counter.{name}"
            grid.addWidget(label(tr(key) if has(key) else name, "rowlabel"), i // 2, (i % 2) * 2)
            grid.addWidget(label(str(value), "rowvalue", name=f"Counter:{name}"),
                           i // 2, (i % 2) * 2 + 1)
        self.body.addWidget(scroller(counts, fit=True))
        for c in d["consumables"]:
            box, rows = panel(f"Consumable:{c['name']}")
            rows.addWidget(label(tr(f"maint.consumable.{c['name']}"), "rowlabel"))
            rows.addWidget(label(tr("maint.consumable.usage", **c), "body"))
            rows.addWidget(label(tr("maint.consumable.replaced_at", at=c["replaced_at"])
                                 if c["replaced_at"] else tr("maint.consumable.never"), "muted"))
            line = QHBoxLayout()
            line.addWidget(box, 1)
            line.addWidget(action_button(tr(f"maint.replace.{c['name']}"), "maint.replace",
                                         c["name"]), 0, Qt.AlignmentFlag.AlignVCenter)
            self.body.addLayout(line)
        notice = notice_label(d.get("notice"), tr)
        if notice is not None:
            self.body.addWidget(notice)
        self.body.addStretch(1)
        self.body.addWidget(action_button(tr("maint.back"), "maint.home"), 0, LEFT)


class SelfTestScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(tr("maint.selftest.title"), "title"))
        if d["running"]:
            self.centred(Illustration("wait", 200),
                         label(tr("maint.selftest.running"), "body", align=CENTER))
            return
        self.body.addWidget(label(tr("maint.selftest.failed"), "fielderror"))
        for row in d["results"]:
            self.body.addWidget(label(f"{device_name(row['device'], tr)} — {result_text(row, tr)}",
                                      "body" if row["passed"] else "fielderror",
                                      name=f"SelfTest:{row['device']}"))
        self.body.addStretch(1)
        out = QHBoxLayout()
        out.addWidget(action_button(tr("maint.selftest.back"), "maint.home"))
        out.addStretch(1)
        out.addWidget(action_button(tr("maint.resume"), "maint.resume", role="primary"))
        self.body.addLayout(out)
