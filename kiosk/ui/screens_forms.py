"""The form screen: fields above, the on-screen keyboard below them.

What is typed lives in the screen's ``draft`` (kept by the window across
redraws of the same step), so switching language mid-form loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.journey import View
from kiosk.ui.keyboard import DIGITS, LATIN, PHONE, Keyboard, Layout
from kiosk.ui.screen_base import Screen, Tr, scroller
from kiosk.ui.theme import FONT_FAMILIES, SIZES
from kiosk.ui.widgets import label, repolish

TEXT_KINDS = ("text", "digits", "phone", "email", "multiline")
KEYBOARDS: dict[str, Layout] = {"digits": DIGITS, "phone": PHONE}
LABEL_WIDTH = 460
SIDE_WIDTH = 640  # the note, the hint and "Continue", beside the keyboard
# The width of the fields' column: the screen's, less margins, labels and scroll bar.
CHOICE_ROOM = 1920 - 4 * SIZES.margin - LABEL_WIDTH - 3 * SIZES.gap - 20


def tap_button(text: str, name: str, role: str = "") -> QPushButton:
    """A button the screen handles itself (not a plain journey action)."""
    b = QPushButton(text, objectName=name)
    if role:
        b.setProperty("role", role)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return b


class FormScreen(Screen):
    """Fields above, the keyboard below them (it never covers what it types
    into), and "Continue" beside the keyboard. The field typed into has a thick
    border, a tint and a coloured label."""

    def build(self, view: View, tr: Tr) -> None:
        d = view.data
        self.tr = tr
        self.fields: list[Mapping[str, Any]] = list(d.get("fields", []))
        self.kinds = {f["name"]: f.get("kind", "text") for f in self.fields}
        self.values: dict[str, str] = self.draft.setdefault(
            "values", {f["name"]: str(f.get("value") or "") for f in self.fields})
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.body.setContentsMargins(SIZES.margin * 2, SIZES.gap, SIZES.margin * 2, SIZES.gap)
        self.body.addWidget(label(self.label_text(d["title"], tr), "heading", name="FormTitle"))

        content = QWidget(objectName="FormContent")
        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, SIZES.gap, 0)  # room for the scroll bar
        grid.setHorizontalSpacing(SIZES.gap * 2)
        grid.setVerticalSpacing(SIZES.gap // 2)
        grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        grid.setColumnStretch(1, 1)
        for row, f in enumerate(self.fields):
            grid.addWidget(self._label(f, tr), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self._editor(f, tr), row, 1)
        grid.setRowStretch(len(self.fields), 1)
        self.scroll = scroller(content, "FormFields")
        self.body.addWidget(self.scroll, 1)

        bottom = QHBoxLayout()
        bottom.setSpacing(SIZES.gap * 2)
        holder = QWidget(objectName="KeyboardHolder")
        holder.setFixedHeight(LATIN.height)
        hold = QVBoxLayout(holder)
        hold.setContentsMargins(0, 0, 0, 0)
        self.keyboard = Keyboard(LATIN, tr, lang=view.lang)
        hold.addWidget(self.keyboard, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        holder.setFixedWidth(self.keyboard.width())
        self.keyboard.typed.connect(self._typed)
        self.keyboard.erased.connect(self._erased)
        self.keyboard.entered.connect(self._entered)
        bottom.addWidget(holder)
        if not self.editors:  # only choices: no keyboard, and its room to the fields
            holder.hide()
            holder.setFixedHeight(0)
        side_box = QWidget(objectName="FormSide")
        side_box.setMaximumWidth(SIDE_WIDTH)
        side = QVBoxLayout(side_box)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(SIZES.gap)
        if d.get("note"):
            side.addWidget(label(self.label_text(d["note"], tr), "muted", name="FormNote"))
        side.addStretch(1)
        side.addWidget(label(tr("ui.form.hint"), "muted"))
        self.submit = tap_button(tr("ui.form.submit"), "act:submit_form", "primary")
        self.submit.clicked.connect(self._submit)
        side.addWidget(self.submit)
        if not self.editors:
            bottom.addStretch(1)
        bottom.addWidget(side_box, 1)
        self.body.addLayout(bottom)
        # A form shown anew reads from the top; one shown again (its errors, or a
        # language switch mid-typing) opens where the citizen has to look.
        self.reveal = bool(self.draft.get("current")) or any(f.get("error") for f in self.fields)
        self._set_current(self.draft.get("current") or self._first_current(), scroll=False)

    # ----- fields ----------------------------------------------------------------------

    def _label(self, f: Mapping[str, Any], tr: Tr) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 14, 0, 0)
        column.setSpacing(2)
        name = f["name"]
        title = label(self.label_text(f["label"], tr), "fieldlabel", name=f"label:{name}")
        self.labels[name] = title
        column.addWidget(title)
        if not f.get("required", True):
            column.addWidget(label(tr("ui.form.optional"), "muted"))
        return box

    def _editor(self, f: Mapping[str, Any], tr: Tr) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        name, kind = f["name"], f.get("kind", "text")
        value = self.values.get(name, "")
        if kind == "choice":
            column.addWidget(self._choices(f, value, tr))
        else:
            editor: QLineEdit | QPlainTextEdit
            if kind == "multiline":
                editor = QPlainTextEdit(value)
                editor.setFixedHeight(SIZES.field_height * 2 - 16)
                editor.textChanged.connect(
                    lambda n=name, e=editor: self.values.__setitem__(n, e.toPlainText()))
            else:
                editor = QLineEdit(value)
                if f.get("max_length"):
                    editor.setMaxLength(int(f["max_length"]))
                editor.textChanged.connect(lambda text, n=name: self.values.__setitem__(n, text))
            if f.get("example"):
                editor.setPlaceholderText(tr("ui.form.example", example=f["example"]))
            editor.setObjectName(f"field:{name}")
            editor.setProperty("invalid", bool(f.get("error")))
            editor.setAccessibleName(self.label_text(f["label"], tr))
            editor.installEventFilter(self)
            self.editors[name] = editor
            column.addWidget(editor)
        if f.get("error"):
            column.addWidget(label(self.label_text(f["error"], tr), "fielderror",
                                   name=f"error:{name}"))
        return box

    def _choices(self, f: Mapping[str, Any], value: str, tr: Tr) -> QWidget:
        row = QWidget()
        grid = QGridLayout(row)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(SIZES.gap // 2)
        group = QButtonGroup(row)
        group.setExclusive(True)
        name = f["name"]
        options = list(f.get("options", []))
        texts = [self.label_text(o["label"], tr) for o in options]
        # As many columns as the longest option leaves room for: a button's text
        # is never cut (a department's full name takes a row of its own).
        font = QFont(list(FONT_FAMILIES))
        font.setPixelSize(SIZES.body)
        font.setBold(True)  # as wide as it gets: the chosen one is bold
        widest = max((QFontMetrics(font).horizontalAdvance(x) for x in texts), default=0)
        button = widest + 2 * 28 + 2 * 3 + 8  # padding, border, a little air
        columns = max(1, min(3, (CHOICE_ROOM + grid.spacing()) // (button + grid.spacing())))
        for i, (option, text) in enumerate(zip(options, texts, strict=True)):
            b = tap_button(text, f"opt:{name}:{option['value']}", "choiceopt")
            b.setCheckable(True)
            b.setChecked(option["value"] == value)
            b.clicked.connect(lambda _=False, v=option["value"]: self.values.__setitem__(name, v))
            group.addButton(b)
            grid.addWidget(b, i // columns, i % columns)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        return row

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            for name, editor in self.editors.items():
                if editor is obj and self.draft.get("current") != name:
                    self._set_current(name)
        return False

    # ----- the field typed into ------------------------------------------------------------

    def _first_current(self) -> str | None:
        named = [f for f in self.fields if f["name"] in self.editors]
        for wanted in (lambda f: f.get("error"), lambda f: not self.values.get(f["name"])):
            for f in named:
                if wanted(f):
                    return str(f["name"])
        return str(named[0]["name"]) if named else None

    def _set_current(self, name: str | None, *, scroll: bool = True) -> None:
        if name not in self.editors:
            return
        if name != self.draft.get("current"):
            self.keyboard.commit_pending()  # into the field being left
        self.draft["current"] = name
        for n, editor in self.editors.items():
            for w in (editor, self.labels[n]):
                w.setProperty("current", n == name)
                repolish(w)
        self.keyboard.set_layout(KEYBOARDS.get(self.kinds[name], LATIN), kind=self.kinds[name])
        last = name == list(self.editors)[-1]
        self.keyboard.set_enter_text(self.tr("ui.form.submit" if last else "ui.keyboard.next"))
        editor = self.editors[name]
        editor.setFocus()
        if isinstance(editor, QLineEdit):
            editor.end(False)
        if scroll:
            # The keyboard for this field may be taller or shorter than the last
            # (a phone pad, letters): settle the layout first, or the field is
            # revealed in a viewport about to change size.
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            self._reveal(editor)

    @property
    def current(self) -> QLineEdit | QPlainTextEdit | None:
        return self.editors.get(self.draft.get("current") or "")

    def on_shown(self) -> None:
        editor = self.current
        if editor is not None and self.reveal:
            self._reveal(editor)

    def _reveal(self, editor: QWidget) -> None:
        """Scroll so the whole field (and its error) shows, not just its cursor
        (which is all QScrollArea.ensureWidgetVisible guarantees for a text field)."""
        cell = editor.parentWidget() or editor
        bar = self.scroll.verticalScrollBar()
        top = cell.mapTo(self.scroll.widget(), QPoint(0, 0)).y()
        bottom = top + cell.height()
        top -= SIZES.gap // 2  # a little of what is above, so it reads as a list
        seen = self.scroll.viewport().height()
        if top < bar.value():
            bar.setValue(top)
        elif bottom > bar.value() + seen:
            bar.setValue(min(top, bottom - seen))

    def _typed(self, text: str) -> None:
        editor = self.current
        if isinstance(editor, QLineEdit):
            editor.insert(text)
        elif isinstance(editor, QPlainTextEdit):
            limit = next((int(f.get("max_length") or 0) for f in self.fields
                          if f["name"] == self.draft.get("current")), 0)
            if not limit or len(editor.toPlainText()) + len(text) <= limit:
                editor.insertPlainText(text)

    def _erased(self) -> None:
        editor = self.current
        if isinstance(editor, QLineEdit):
            editor.backspace()
        elif isinstance(editor, QPlainTextEdit):
            editor.textCursor().deletePreviousChar()

    def _entered(self) -> None:
        names = list(self.editors)
        at = names.index(self.draft["current"]) if self.draft.get("current") in names else -1
        if at + 1 < len(names):
            self._set_current(names[at + 1])
        else:
            self._submit()

    def _submit(self) -> None:
        self.keyboard.commit_pending()
        self.acted.emit("submit_form", {f["name"]: self.values.get(f["name"], "")
                                        for f in self.fields})
