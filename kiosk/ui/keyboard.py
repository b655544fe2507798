"""The on-screen keyboard: a kiosk has no other.

A keyboard shows one ``Layout``; a layout has pages of key rows. A key is a
character it types, or a function in braces: ``{back}``, ``{shift}``,
``{space}``, ``{enter}``, ``{gap}`` (an empty place), ``{page:NAME}`` (show
another page). ``*2`` after a key makes it twice as wide. The keyboard types
nothing itself: it emits ``typed``, ``erased`` and ``entered``, and the screen
decides where the text goes.

Layouts: ``LATIN`` (letters with the Portuguese accents, digits, and what
e-mail addresses and postal addresses need), ``DIGITS``, ``PHONE`` and ``PIN``
(the big pad of the code screen). Another script is another ``Layout`` in
``LAYOUTS``; Chinese input (a Cangjie/Quick or handwriting page with a
candidate row) is not written yet: it needs a candidate bar above the keys
and a dictionary, which this design leaves room for (a page is just rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets import repolish

Tr = Callable[..., str]

_BOTTOM = "{page:symbols}*2 @ _ {space}*5 / {enter}*2"
_DIGIT_ROW = "1 2 3 4 5 6 7 8 9 0 {back}*2"


@dataclass(frozen=True)
class Layout:
    name: str
    pages: Mapping[str, tuple[str, ...]]
    key_width: int = 80
    key_height: int = 68
    gap: int = 8
    # Pages that go back to the first page after one key (the accents).
    one_shot: frozenset[str] = field(default_factory=frozenset)
    role: str = "key"

    @property
    def first(self) -> str:
        return next(iter(self.pages))

    @property
    def height(self) -> int:
        rows = max(len(rows) for rows in self.pages.values())
        return rows * self.key_height + (rows - 1) * self.gap


LATIN = Layout("latin", {
    "letters": (_DIGIT_ROW,
                "q w e r t y u i o p {page:accents}*2",
                "a s d f g h j k l ç '",
                "{shift}*2 z x c v b n m , . -",
                _BOTTOM),
    "accents": (_DIGIT_ROW,
                "á à â ã é è ê ë {page:letters}*2",
                "í ì î ï ó ò ô õ ö",
                "{shift}*2 ú ù û ü ç ñ",
                _BOTTOM),
    "symbols": (_DIGIT_ROW,
                "# & + = ( ) [ ] % $",
                ". , : ; ' \" ! ? º ª",
                "- * ~ € · < >",
                "{page:letters}*2 @ _ {space}*5 / {enter}*2"),
}, one_shot=frozenset({"accents"}))

DIGITS = Layout("digits", {"digits": ("1 2 3 {back}", "4 5 6 {enter}", "7 8 9 {gap}",
                                      "{gap} 0 {gap} {gap}")}, key_width=150)
PHONE = Layout("phone", {"digits": ("1 2 3 {back}", "4 5 6 {enter}", "7 8 9 {gap}",
                                    "+ 0 {gap} {gap}")}, key_width=150)
PIN = Layout("pin", {"digits": ("1 2 3", "4 5 6", "7 8 9", "{gap} 0 {back}")},
             key_width=170, key_height=100, gap=16, role="pinkey")

LAYOUTS: dict[str, Layout] = {"latin": LATIN, "digits": DIGITS, "phone": PHONE, "pin": PIN}

# Text keys of the function keys' names (read aloud, shown on the wordy ones).
_NAMES = {"{back}": "ui.keyboard.backspace", "{shift}": "ui.keyboard.shift",
          "{space}": "ui.keyboard.space", "{page:letters}": "ui.keyboard.letters",
          "{page:accents}": "ui.keyboard.accents", "{page:symbols}": "ui.keyboard.symbols"}
_FACES = {"{back}": "⌫", "{page:letters}": "abc", "{page:accents}": "á ç ã",
          "{page:symbols}": "# && @"}  # "&&": a lone "&" marks a shortcut in Qt


def _parse(spec: str) -> tuple[str, float]:
    if len(spec) > 1 and "*" in spec:
        key, _, width = spec.rpartition("*")
        return key, float(width)
    return spec, 1.0


class KeyButton(QPushButton):
    """A key of exactly its size: the stylesheet's minimum sizes (meant for the
    big action buttons) must not stretch it, nor a layout squeeze it."""

    def __init__(self, key: str, width: int, height: int) -> None:
        super().__init__(objectName=f"key:{key}")
        self._size = QSize(width, height)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(self._size)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def sizeHint(self) -> QSize:
        return self._size

    def minimumSizeHint(self) -> QSize:
        return self._size


class Keyboard(QWidget):
    typed = Signal(str)
    erased = Signal()
    entered = Signal()

    def __init__(self, layout: Layout, tr: Tr, *, enter_text: str = "",
                 name: str = "Keyboard") -> None:
        super().__init__()
        self.setObjectName(name)
        self.tr_ = tr
        self.layout_ = layout
        self.page = layout.first
        self.shift = "off"  # off | once | lock
        self.enter_text = enter_text
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(layout.gap)
        self.keys: dict[str, QPushButton] = {}
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._build()

    # ----- what the screen asks of it ----------------------------------------------

    def set_layout(self, layout: Layout) -> None:
        if layout is not self.layout_:
            self.layout_, self.page, self.shift = layout, layout.first, "off"
            self.rows.setSpacing(layout.gap)
            self._build()

    def set_enter_text(self, text: str) -> None:
        self.enter_text = text
        enter = self.keys.get("{enter}")
        if enter is not None:
            enter.setText(text)

    def taps_for(self, char: str) -> list[str] | None:
        """The keys (object names) to tap, from the keyboard's state now, to type
        ``char``; None if this layout cannot type it."""
        if char == " ":
            return ["key:{space}"] if self._has(self.page, "{space}") else None
        for page in (self.page, *(p for p in self.layout_.pages if p != self.page)):
            base = self._base_of(page, char)
            if base is None:
                continue
            taps: list[str] = []
            if page != self.page:
                via = self._route(page)
                if via is None:
                    continue
                taps += via
            upper = base != char
            if base.upper() != base:  # a letter: shift matters
                if upper and self.shift == "off":
                    taps.append("key:{shift}")
                elif not upper and self.shift == "once":
                    taps += ["key:{shift}", "key:{shift}"]  # once → lock → off
                elif not upper and self.shift == "lock":
                    taps.append("key:{shift}")
            taps.append(f"key:{base}")
            return taps
        return None

    # ----- drawing -------------------------------------------------------------------

    def _build(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            row = item.layout()
            if row is not None:
                while row.count():
                    w = row.takeAt(0).widget()
                    if w is not None:
                        w.hide()
                        w.setParent(None)
                        w.deleteLater()
        self.keys = {}
        lay = self.layout_
        for spec_row in lay.pages[self.page]:
            row = QHBoxLayout()
            self.rows.addLayout(row)  # first: what is added to it is the keyboard's at once
            row.setSpacing(lay.gap)
            row.addStretch(1)
            for spec in spec_row.split(" "):
                key, units = _parse(spec)
                width = round(units * lay.key_width + (units - 1) * lay.gap)
                if key == "{gap}":  # a blank widget: a spacer would skip the spacing
                    blank = QWidget()
                    blank.setFixedSize(width, lay.key_height)
                    row.addWidget(blank)
                    blank.show()
                    continue
                button = self._key(key, width)
                row.addWidget(button)
                button.show()  # a child added to a shown keyboard stays hidden otherwise
            row.addStretch(1)
        self.rows.addStretch(1)
        widest = max(sum(_parse(s)[1] for s in r.split(" ")) for p in lay.pages.values()
                     for r in p)
        width = round(widest * lay.key_width + (widest - 1) * lay.gap)
        self.setFixedSize(width, lay.height)
        self._faces()

    def _key(self, key: str, width: int) -> QPushButton:
        b = KeyButton(key, width, self.layout_.key_height)
        function = key.startswith("{") and len(key) > 1
        b.setProperty("role", self.layout_.role if not function else
                      "keyenter" if key == "{enter}" else "keyfn")
        if key in _NAMES:
            b.setAccessibleName(self.tr_(_NAMES[key]))
        if key == "{back}":
            b.setAutoRepeat(True)  # hold to erase more
        b.clicked.connect(lambda _=False, k=key: self._tap(k))
        self.keys[key] = b
        return b

    def _faces(self) -> None:
        upper = self.shift != "off"
        for key, b in self.keys.items():
            if key == "{shift}":
                b.setText("⇪" if self.shift == "lock" else "⇧")
                b.setProperty("active", self.shift != "off")
                repolish(b)
            elif key == "{space}":
                b.setText(self.tr_("ui.keyboard.space"))
            elif key == "{enter}":
                b.setText(self.enter_text)
            elif key in _FACES:
                b.setText(_FACES[key])
            else:
                face = self._cased(key) if upper else key
                b.setText("&&" if face == "&" else face)

    # ----- typing --------------------------------------------------------------------

    def _tap(self, key: str) -> None:
        if key == "{back}":
            self.erased.emit()
        elif key == "{enter}":
            self.entered.emit()
        elif key == "{space}":
            self.typed.emit(" ")
        elif key == "{shift}":
            self.shift = {"off": "once", "once": "lock", "lock": "off"}[self.shift]
            self._faces()
        elif key.startswith("{page:"):
            self.page = key[6:-1]
            self._build()
        else:
            self.typed.emit(self._cased(key) if self.shift != "off" else key)
            rebuild = False
            if self.shift == "once" and key.upper() != key:
                self.shift = "off"
                rebuild = True
            if self.page in self.layout_.one_shot:
                self.page = self.layout_.first
                self._build()
            elif rebuild:
                self._faces()

    @staticmethod
    def _cased(key: str) -> str:
        upper = key.upper()
        return upper if len(upper) == 1 else key

    # ----- finding keys ----------------------------------------------------------------

    def _specs(self, page: str) -> list[str]:
        return [_parse(s)[0] for row in self.layout_.pages[page] for s in row.split(" ")]

    def _has(self, page: str, key: str) -> bool:
        return key in self._specs(page)

    def _base_of(self, page: str, char: str) -> str | None:
        for key in self._specs(page):
            if key.startswith("{") and len(key) > 1:
                continue
            if key == char or (self._cased(key) == char and key.upper() != key):
                return key
        return None

    def _route(self, page: str) -> list[str] | None:
        """Page keys to reach ``page`` from the page shown now (at most two taps)."""
        if self._has(self.page, f"{{page:{page}}}"):
            return [f"key:{{page:{page}}}"]
        for middle in self.layout_.pages:
            if (self._has(self.page, f"{{page:{middle}}}")
                    and page in self.layout_.pages and self._has(middle, f"{{page:{page}}}")):
                return [f"key:{{page:{middle}}}", f"key:{{page:{page}}}"]
        return None
