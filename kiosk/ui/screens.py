"""The screens: each draws one kind of ``View`` and emits the citizen's taps.

This module holds the screens of the journey's frame (attract, language,
catalog, card, face, messages, quantity) and ``SCREENS``, every kind by name;
the kinds of docs/screens.md live beside it (screens_forms, screens_otp,
screens_choose, screens_results).

A screen holds no state of its own beyond what it draws: the journey decides
what is shown, the screen only renders it in the citizen's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import LANGUAGE_NAMES, t
from kiosk.identity.frames import Frame
from kiosk.journey import View
from kiosk.ui.screen_base import CENTER, Screen, Tr, buttons
from kiosk.ui.screens_catalog import CatalogScreen
from kiosk.ui.screens_choose import ChooseScreen, ReviewScreen
from kiosk.ui.screens_forms import FormScreen
from kiosk.ui.screens_maintenance import (
    CameraScreen,
    CountersScreen,
    DeviceScreen,
    MaintenanceHomeScreen,
    OutOfServiceScreen,
    PinScreen,
    SelfTestScreen,
    TouchScreen,
)
from kiosk.ui.screens_otp import OtpScreen
from kiosk.ui.screens_results import PaymentScreen, ResultScreen
from kiosk.ui.screens_settings import EditTextScreen, SettingsScreen
from kiosk.ui.theme import PALETTE, SIZES
from kiosk.ui.widgets import Illustration, action_button, label


class AttractScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        widgets: list[QWidget] = [Illustration("card", 300), label(tr("attract.title"), "display",
                                  align=CENTER), label(tr("attract.subtitle"), "body",
                                  align=CENTER)]
        notice = view.data.get("notice")
        if notice:
            widgets.append(label(tr(notice), "muted", align=CENTER, name="Notice"))
        start = action_button(tr("attract.start"), "start", role="primary")
        start.setMinimumWidth(520)
        widgets += [start, label(tr("attract.hint"), "muted", align=CENTER)]
        self.centred(*widgets)


class LanguageScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        # The citizen has not chosen yet: ask in every language at once.
        prompt = " · ".join(t("language.prompt", lang) for lang in view.data["languages"])
        self.body.addStretch(1)
        self.body.addWidget(label(prompt, "title", align=CENTER))
        self.body.addSpacing(SIZES.gap)
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 2)
        row.addStretch(1)
        for lang in view.data["languages"]:
            b = action_button(LANGUAGE_NAMES[lang], "choose_lang", lang, role="choice")
            row.addWidget(b)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(label(tr("language.note"), "muted", align=CENTER))
        self.body.addStretch(2)


class MessageScreen(Screen):
    """insert_card, progress, done, kept, reminder and error: an illustration, a
    message, actions."""

    def build(self, view: View, tr: Tr) -> None:
        data = view.data
        kind = view.screen
        widgets: list[QWidget] = []
        if kind == "insert_card":
            widgets += [Illustration("card", 320), label(tr(data["message"]), "title",
                                                         align=CENTER)]
        elif kind == "progress":
            bar = QProgressBar()
            bar.setRange(0, 0)  # busy: it moves for as long as the citizen waits
            bar.setTextVisible(False)
            bar.setFixedWidth(720)
            widgets += [Illustration("wait", 200), label(tr(data["message"]), "title",
                                                         align=CENTER), bar]
        elif kind == "done":
            # A reference to copy down takes the room of a smaller picture and message.
            long = bool(data.get("reference"))
            finish = action_button(tr("nav.finish"), "finish", role="primary")
            widgets += [*(Illustration.unless_large("done", 120) if long
                          else [Illustration("done", 220)]),
                        label(tr("done.title"), "success", align=CENTER),
                        label(tr(data["message"]), "body" if long else "title", align=CENTER),
                        *_reference(data, tr),
                        label(tr("done.thanks"), "muted", align=CENTER), finish]
        elif kind == "reminder":
            # After the session: what the citizen left behind, biggest first.
            for item in data["items"]:
                widgets += [Illustration("card" if item == "card" else "printer",
                                         260 if len(data["items"]) == 1 else 160),
                            label(tr(f"reminder.{item}"), "warning", align=CENTER),
                            label(tr(f"reminder.{item}_where"), "body", align=CENTER)]
            widgets.append(label(tr("reminder.thanks"), "muted", align=CENTER))
        elif kind == "kept":
            widgets += [Illustration("printer", 220),
                        label(tr("kept.title"), "title", align=CENTER),
                        label(tr("kept.body", pages=data["pages"]), "body", align=CENTER),
                        buttons((tr("kept.print_now"), "print_kept", "primary"),
                                 (tr("kept.not_now"), "skip", None))]
        else:  # error
            long = bool(data.get("reference"))
            widgets += [*(Illustration.unless_large("error", 120) if long
                          else [Illustration("error", 200)]),
                        label(tr("error.title"), "error", align=CENTER),
                        label(tr(data["message"]), "body" if long else "title", align=CENTER),
                        *_reference(data, tr)]
            actions: list[tuple[str, str, str | None]] = []
            if data.get("retry"):
                actions.append((tr("nav.retry"), "retry", "primary"))
            if data.get("later"):
                actions.append((tr("nav.print_later"), "print_later", None))
            actions.append((tr("nav.ok"), "cancel", None))
            widgets.append(buttons(*actions))
        self.centred(*widgets)


def _reference(data: Mapping[str, Any], tr: Tr) -> list[QWidget]:
    """A kept printout's reference, large enough to copy down, and what it is for."""
    if not data.get("reference"):
        return []
    return [label(tr("print.reference", reference=data["reference"]), "display",
                  align=CENTER, name="Reference"),
            label(tr("print.reference_hint"), "muted", align=CENTER)]


class FaceScreen(Screen):
    """The live preview with the face box, what to do next, and what is wrong."""

    PREVIEW = (720, 540)

    def build(self, view: View, tr: Tr) -> None:
        row = QHBoxLayout()
        row.setSpacing(SIZES.gap * 2)
        self.preview = QLabel()
        self.preview.setObjectName("CameraPreview")
        self.preview.setFixedSize(*self.PREVIEW)
        # Dark in every mode (a camera's picture sits best on black), framed in
        # the border colour so it still shows on high contrast's black.
        self.preview.setStyleSheet(f"background: #10181f; border: 2px solid {PALETTE.border};"
                                   " border-radius: 18px;")
        self.preview.setAlignment(CENTER)
        row.addWidget(self.preview)
        text = QVBoxLayout()
        text.setSpacing(SIZES.gap)
        text.addStretch(1)
        prompt = view.data.get("prompt") or "face.look"
        if view.data["message"] != prompt:  # never the same sentence twice, one above the other
            text.addWidget(label(tr(view.data["message"]), "body"))
        self.prompt = label(tr(prompt), "title", name="FacePrompt")
        text.addWidget(self.prompt)
        self.guidance = label("", "error", name="FaceGuidance")
        self.guidance.setProperty("role", "guidance")
        text.addWidget(self.guidance)
        text.addWidget(label(tr("face.attempt", attempt=view.data["attempt"],
                                attempts=view.data["attempts"]), "muted"))
        text.addWidget(label(tr("face.privacy"), "muted"))
        text.addStretch(1)
        row.addLayout(text, 1)
        self.body.addStretch(1)
        self.body.addLayout(row)
        self.body.addStretch(1)

    def show_frame(self, frame: Frame, overlay: Mapping[str, Any], tr: Tr) -> None:
        image = QImage(bytes(frame.rgb), frame.width, frame.height, frame.width * 3,
                       QImage.Format.Format_RGB888)
        pixmap = QPixmap.fromImage(image).scaled(
            *self.PREVIEW, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation)
        scale = pixmap.width() / frame.width
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = overlay.get("box")
        guidance = overlay.get("guidance")
        if box:
            x, y, w, h = box
            good = guidance == "ok"
            p.setPen(QPen(QColor(PALETTE.success if good else PALETTE.accent), 6))
            p.drawRoundedRect(QRectF(x * scale, y * scale, w * scale, h * scale), 16, 16)
        else:  # where the face goes, until one is found
            p.setPen(QPen(QColor(PALETTE.card), 6, Qt.PenStyle.DashLine))
            w, h = pixmap.width(), pixmap.height()
            p.drawEllipse(QRectF(w * 0.32, h * 0.12, w * 0.36, h * 0.66))
        p.end()
        self.preview.setPixmap(pixmap)
        if overlay.get("prompt"):
            self.prompt.setText(tr(overlay["prompt"]))
        if guidance is not None:
            self.guidance.setText("" if guidance == "ok" else tr(f"face.guidance.{guidance}"))


class QuantityScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(tr(d["title"]), "title", align=CENTER))
        self.body.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        fewer = action_button("−", "fewer", role="stepper")
        fewer.setAccessibleName(tr("quantity.fewer"))
        fewer.setEnabled(d["count"] > 1)
        more = action_button("+", "more", role="stepper")
        more.setAccessibleName(tr("quantity.more"))
        more.setEnabled(d["count"] < d["maximum"])
        count = label(f"{d['count']} {tr(d['unit'])}", "display", align=CENTER, name="Count")
        count.setWordWrap(False)  # "3 vouchers" is one thing: never split over two lines
        count.setMinimumWidth(420)
        for w in (fewer, count, more):
            row.addWidget(w)
        row.addStretch(1)
        self.body.addLayout(row)
        panel = QFrame()
        panel.setProperty("role", "panel")
        facts = QVBoxLayout(panel)
        facts.setContentsMargins(SIZES.margin, SIZES.gap, SIZES.margin, SIZES.gap)
        for key in ("quantity.available", "quantity.each", "quantity.total"):
            facts.addWidget(label(tr(key, **d), "body", align=CENTER))
        if d.get("valid_until"):
            facts.addWidget(label(tr("quantity.valid_until", valid_until=d["valid_until"]),
                                  "muted", align=CENTER))
        self.body.addWidget(panel, 0, CENTER)
        self.body.addStretch(1)
        confirm = action_button(tr("nav.confirm"), "confirm", role="primary")
        confirm.setMinimumWidth(520)
        self.body.addWidget(confirm, 0, CENTER)


SCREENS: dict[str, type[Screen]] = {
    "attract": AttractScreen,
    "language": LanguageScreen,
    "catalog": CatalogScreen,
    "insert_card": MessageScreen,
    "progress": MessageScreen,
    "done": MessageScreen,
    "error": MessageScreen,
    "kept": MessageScreen,
    "reminder": MessageScreen,
    "face": FaceScreen,
    "quantity": QuantityScreen,
    "form": FormScreen,
    "otp": OtpScreen,
    "choose": ChooseScreen,
    "review": ReviewScreen,
    "payment": PaymentScreen,
    "result": ResultScreen,
    # Maintenance mode (kiosk/maintenance): what citizens see, then the technician's.
    "out_of_service": OutOfServiceScreen,
    "maint_pin": PinScreen,
    "maint_home": MaintenanceHomeScreen,
    "maint_device": DeviceScreen,
    "maint_camera": CameraScreen,
    "maint_touch": TouchScreen,
    "maint_counters": CountersScreen,
    "maint_selftest": SelfTestScreen,
    "maint_settings": SettingsScreen,
    "maint_edit": EditTextScreen,
}


