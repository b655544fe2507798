"""Maintenance's settings screens: the settings a technician may change, and
the keyboard page for a text setting (kiosk/maintenance/settings_page.py
drives them; kiosk/config/settings.py says what there is)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.i18n import has
from kiosk.journey import View
from kiosk.ui.keyboard import Keyboard
from kiosk.ui.keyboard_layouts import LATIN
from kiosk.ui.screen_base import Screen, Tr, panel, say, scroller
from kiosk.ui.theme import SIZES
from kiosk.ui.widgets import action_button, label

CHOICES_PER_ROW = 3
LEFT = Qt.AlignmentFlag.AlignLeft


def setting_label(key: str, tr: Tr) -> str:
    text_key = f"settings.{key}"
    return tr(text_key) if has(text_key) else key


class SettingsScreen(Screen):
    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(tr("maint.tool.settings"), "title"))
        content = QWidget(objectName="Settings")
        rows = QVBoxLayout(content)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(SIZES.gap)
        error = d.get("error") or {}
        for s in d["settings"]:
            rows.addWidget(self._row(s, tr, error.get("key") == s["key"]))
        rows.addStretch(1)
        self.body.addWidget(scroller(content), 1)
        if error:
            self.body.addWidget(label(tr("maint.settings.invalid", message=error["message"]),
                                      "fielderror", name="SettingsError"))
        elif d.get("saved") is not None:
            self.body.addWidget(label(tr("maint.settings.saved", count=d["saved"]), "body",
                                      name="SettingsSaved"))
        if d.get("restart_pending"):
            self.body.addWidget(label(tr("maint.restart_pending"), "muted"))
        bar = QHBoxLayout()
        bar.setSpacing(SIZES.gap)
        bar.addWidget(action_button(tr("maint.back"), "maint.home"))
        bar.addStretch(1)
        discard = action_button(tr("maint.settings.discard"), "maint.setting_discard")
        save = action_button(tr("maint.settings.save"), "maint.save", role="primary")
        for b in (discard, save):
            b.setEnabled(bool(d["pending"]))
            bar.addWidget(b)
        self.body.addLayout(bar)

    def _row(self, s: Mapping[str, Any], tr: Tr, wrong: bool) -> QWidget:
        box, column = panel(f"Setting:{s['key']}")
        title = setting_label(s["key"], tr)
        notes = []
        if s["changed"]:
            notes.append(tr("maint.settings.changed"))
        if not s["live"]:
            notes.append(tr("maint.settings.at_restart"))
        head = label(title + (f"  ({' · '.join(notes)})" if notes else ""),
                     "fielderror" if wrong else "rowlabel")
        column.addWidget(head)
        key, kind, value = s["key"], s["kind"], s["value"]
        if kind == "number":
            line = QHBoxLayout()
            line.addWidget(action_button("−", "maint.setting_step", f"{key}|down", role="stepper"))
            shown = label(f"{value:g}" if isinstance(value, float) else str(value), "rowvalue",
                          name=f"Value:{key}")
            shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
            shown.setMinimumWidth(200)
            line.addWidget(shown)
            line.addWidget(action_button("+", "maint.setting_step", f"{key}|up", role="stepper"))
            line.addStretch(1)
            column.addLayout(line)
        elif kind in ("choice", "choices"):
            grid = QGridLayout()
            grid.setSpacing(SIZES.gap // 2)
            chosen = set(value) if kind == "choices" else {value}
            for i, option in enumerate(s["options"]):
                text = say(option["label"], self.lang)
                b = action_button(text, "maint.setting_toggle", f"{key}|{option['value']}",
                                  role="toggle")
                b.setCheckable(True)
                b.setChecked(option["value"] in chosen)
                grid.addWidget(b, i // CHOICES_PER_ROW, i % CHOICES_PER_ROW)
            column.addLayout(grid)
        else:
            line = QHBoxLayout()
            line.addWidget(label(str(value) or "—", "rowvalue", name=f"Value:{key}"), 1)
            line.addWidget(action_button(tr("maint.settings.edit"), "maint.edit", key))
            column.addLayout(line)
        return box


class EditTextScreen(Screen):
    """One text setting on the keyboard (a backend address, a printer queue)."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.body.addWidget(label(setting_label(d["key"], tr), "title"))
        self.field = QLineEdit(d["value"], objectName="SettingText")
        self.field.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the screen's keyboard types
        self.body.addWidget(self.field)
        self.body.addStretch(1)
        # Latin only (addresses, queue names): no pinyin.
        self.keyboard = Keyboard(LATIN, tr, enter_text=tr("maint.settings.use"), lang="en",
                                 kind="email")
        self.keyboard.typed.connect(self.field.insert)
        self.keyboard.erased.connect(self.field.backspace)
        self.keyboard.entered.connect(self._done)
        self.body.addWidget(self.keyboard, 0, Qt.AlignmentFlag.AlignHCenter)
        bar = QHBoxLayout()
        bar.addWidget(action_button(tr("maint.back"), "maint.back"))
        bar.addStretch(1)
        ok = action_button(tr("maint.settings.use"), "maint.text_done", role="primary")
        ok.clicked.connect(self._done)
        bar.addWidget(ok)
        self.body.addLayout(bar)

    def _done(self) -> None:
        self.acted.emit("maint.text", self.field.text())
