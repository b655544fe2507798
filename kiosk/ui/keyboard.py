"""The on-screen keyboard: a kiosk has no other.

A keyboard shows one ``Layout``; a layout has pages of key rows. A key is a
character it types, or a function in braces: ``{back}``, ``{shift}``,
``{space}``, ``{enter}``, ``{newline}``, ``{mode}`` (Latin letters or pinyin),
``{gap}`` (an empty place), ``{page:NAME}`` (show another page). ``*2`` after
a key makes it twice as wide. The keyboard types nothing itself: it emits
``typed``, ``erased`` and ``entered``, and the screen decides where the text
goes.

Layouts (data, in ``keyboard_layouts``): ``LATIN`` (letters with the
Portuguese accents, digits, and what e-mail addresses and postal addresses
need), ``DIGITS``, ``PHONE`` (digits and +, nothing else) and ``PIN`` (the big
pad of the code screen).

Chinese: a layout with a ``{mode}`` key can switch to pinyin, where the
letters compose Traditional Chinese (``kiosk.i18n.pinyin``) in a candidate bar
above the keys (``kiosk.ui.keyboard_chinese``). The bar's row is part of the
layout's height in both modes, so nothing moves when it fills. In pinyin mode
a lowercase letter goes to the composition; a capital (with shift) is typed
as it is; {space} picks the first candidate, {back} erases a letter of the
composition before any of the field, {enter} types the letters as typed (and
goes no further), and any other key types them before its own character.
Free text (multiline fields) opens in pinyin for a citizen served in Chinese;
one-line text fields (names in Latin letters, reference numbers) in Latin, the
mode key a tap away. A multiline field gets a {newline} key; an e-mail field no
{mode} key (its place stays empty, so no key moves between fields).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.i18n import pinyin
from kiosk.ui.keyboard_chinese import CandidateBar
from kiosk.ui.keyboard_layouts import (
    DIGITS,
    LATIN,
    LAYOUTS,
    PHONE,
    PIN,
    Layout,
    cased,
    function_key,
    parse,
    taps,
    variant,
)
from kiosk.ui.widgets import discard, repolish, take_all

Tr = Callable[..., str]
__all__ = ["DIGITS", "LATIN", "LAYOUTS", "PHONE", "PIN", "Keyboard", "Layout"]

# Text keys of the function keys' names (read aloud, shown on the wordy ones).
_NAMES = {"{back}": "ui.keyboard.backspace", "{shift}": "ui.keyboard.shift",
          "{space}": "ui.keyboard.space", "{page:letters}": "ui.keyboard.letters",
          "{page:accents}": "ui.keyboard.accents", "{page:symbols}": "ui.keyboard.symbols",
          "{newline}": "ui.keyboard.newline"}
_FACES = {"{back}": "⌫", "{page:letters}": "abc", "{page:accents}": "á ç ã",
          "{page:symbols}": "# && @"}  # "&&": a lone "&" marks a shortcut in Qt
# Free text opens in pinyin for a Chinese-speaking citizen; one-line text fields
# hold names in Latin letters and reference numbers, so they open in Latin.
PINYIN_FIRST = frozenset({"multiline"})
NO_CHINESE = frozenset({"email"})


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
    """The keys of one layout (and its variant for the field and the mode),
    with the candidate bar on top when the layout can compose Chinese."""

    typed = Signal(str)
    erased = Signal()
    entered = Signal()

    def __init__(self, layout: Layout, tr: Tr, *, enter_text: str = "",
                 name: str = "Keyboard", lang: str = "", kind: str = "text") -> None:
        super().__init__()
        self.setObjectName(name)
        self.tr_ = tr
        self.lang = lang  # the citizen's: whether free text opens in pinyin
        self.base = layout  # as the screen chose it; layout_ is the variant shown
        self.kind = kind
        self.zh = False  # pinyin mode
        self.chosen: dict[str, bool] = {}  # the citizen's own choice, per kind of field
        self.composer = pinyin.Composer()
        self.bar: CandidateBar | None = None  # made for the first layout with a {mode} key
        self.built: tuple[Layout, bool] | None = None  # what the keys were drawn for
        self.page = layout.first
        self.shift = "off"  # off | once | lock
        self.enter_text = enter_text
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(layout.gap)
        self.keys: dict[str, QPushButton] = {}
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.layout_ = layout
        self._apply(layout, kind)

    # ----- what the screen asks of it ----------------------------------------------

    def set_layout(self, layout: Layout, *, kind: str = "text") -> None:
        """Show ``layout`` for a field of ``kind``. A composition not chosen yet
        belonged to the field left: it is dropped, not typed into this one."""
        self.composer.take_letters()
        self._apply(layout, kind)

    def _apply(self, layout: Layout, kind: str) -> None:
        self.base, self.kind = layout, kind
        can = self.can_switch
        self.zh = can and self.chosen.get(kind, kind in PINYIN_FIRST and self.lang == "zh-Hant")
        if self.zh:
            pinyin.load()  # now, while the screen is drawn, not at the first letter
        shown = variant(layout, lines=kind == "multiline", zh=self.zh)
        if (shown, can) != self.built:
            if shown.pages.keys() != self.layout_.pages.keys() or self.page not in shown.pages:
                self.page, self.shift = shown.first, "off"
            self.layout_ = shown
            self.rows.setSpacing(shown.gap)
            self._build()
        else:
            self._composed()

    @property
    def can_switch(self) -> bool:
        return self.base.composes and self.kind not in NO_CHINESE

    def set_enter_text(self, text: str) -> None:
        self.enter_text = text
        self._faces()

    def taps_for(self, char: str) -> list[str] | None:
        """The keys (object names) to tap, from the keyboard's state now, to type
        ``char``; None if this layout cannot type it. Latin text asked of the
        pinyin mode goes through the mode key (lowercase letters would compose)."""
        if self.composer.composing:
            return None
        if not self.zh:
            return taps(self.layout_, self.page, self.shift, char)
        if not ("a" <= char <= "z"):
            found = taps(self.layout_, self.page, self.shift, char)
            if found is not None:
                return found
        latin = variant(self.base, lines=self.kind == "multiline", zh=False)
        found = taps(latin, self.page if self.page in latin.pages else latin.first,
                     self.shift, char)
        return None if found is None else ["key:{mode}", *found]

    # ----- drawing -------------------------------------------------------------------

    def _build(self) -> None:
        for widget in take_all(self.rows):
            if widget is not self.bar:  # the candidate bar lives as long as the keyboard
                discard(widget)
        self.keys = {}
        lay = self.layout_
        self.built = (lay, self.can_switch)
        if lay.composes:  # the bar's row, composing or not
            if self.bar is None:
                self.bar = CandidateBar(self.tr_, self, width=lay.width, height=lay.key_height,
                                        key_width=lay.key_width, gap=lay.gap)
                self.bar.picked.connect(self._pick)
            self.rows.addWidget(self.bar)
            self.bar.show()
        elif self.bar is not None:
            self.bar.hide()
        for spec_row in lay.pages[self.page]:
            row = QHBoxLayout()
            self.rows.addLayout(row)  # first: what is added to it is the keyboard's at once
            row.setSpacing(lay.gap)
            row.addStretch(1)
            for spec in spec_row.split(" "):
                key, units = parse(spec)
                width = round(units * lay.key_width + (units - 1) * lay.gap)
                if key == "{gap}" or (key == "{mode}" and not self.can_switch):
                    blank = QWidget()  # a blank widget: a spacer would skip the spacing
                    blank.setFixedSize(width, lay.key_height)
                    row.addWidget(blank)
                    blank.show()
                    continue
                button = self._key(key, width)
                row.addWidget(button)
                button.show()  # a child added to a shown keyboard stays hidden otherwise
            row.addStretch(1)
        self.rows.addStretch(1)
        self.setFixedSize(lay.width, lay.height)
        self._faces()
        self._show_bar()

    def _key(self, key: str, width: int) -> QPushButton:
        b = KeyButton(key, width, self.layout_.key_height)
        b.setProperty("role", self.layout_.role if not function_key(key) else
                      "keyenter" if key == "{enter}" else "keyfn")
        if key in _NAMES:
            b.setAccessibleName(self.tr_(_NAMES[key]))
        if key == "{back}":
            b.setAutoRepeat(True)  # hold to erase more
        b.clicked.connect(lambda _=False, k=key: self._tap(k))
        self.keys[key] = b
        return b

    def _faces(self, only: tuple[str, ...] = ()) -> None:
        upper = self.shift != "off"
        composing = self.composer.composing
        for key, b in self.keys.items():
            if only and key not in only:
                continue
            if key == "{shift}":
                b.setText("⇪" if self.shift == "lock" else "⇧")
                b.setProperty("active", self.shift != "off")
                repolish(b)
            elif key == "{space}":  # while composing it picks the first candidate
                b.setText(self.tr_("ui.keyboard.pick" if composing else "ui.keyboard.space"))
            elif key == "{enter}":  # ... and this types the letters as they are
                b.setText(self.tr_("ui.keyboard.as_typed") if composing else self.enter_text)
            elif key == "{mode}":  # names where a tap goes, as the page keys do
                face, name = (("ui.keyboard.mode.latin", "ui.keyboard.mode.latin_name")
                              if self.zh else
                              ("ui.keyboard.mode.pinyin", "ui.keyboard.mode.pinyin_name"))
                b.setText(self.tr_(face))
                b.setAccessibleName(self.tr_(name))
            elif key == "{newline}":
                b.setText(self.tr_("ui.keyboard.newline"))
            elif key in _FACES:
                b.setText(_FACES[key])
            else:
                face = cased(key) if upper else key
                b.setText("&&" if face == "&" else face)

    def _show_bar(self) -> None:
        bar = self.bar
        if bar is None or not self.layout_.composes:
            return
        if self.composer.composing:
            bar.show_composer(self.composer)
        elif self.zh:
            bar.show_hint(self.tr_("ui.keyboard.pinyin_hint"))
        else:  # how a Chinese reader gets Chinese, where it can be had
            wanted = self.can_switch and self.lang == "zh-Hant"
            bar.show_hint(self.tr_("ui.keyboard.chinese_hint") if wanted else "")

    # ----- typing --------------------------------------------------------------------

    def _tap(self, key: str) -> None:
        if self.composer.composing and self._compose(key):
            return
        if key == "{back}":
            self.erased.emit()
        elif key == "{enter}":
            self.entered.emit()
        elif key == "{space}":
            self.typed.emit(" ")
        elif key == "{newline}":
            self.typed.emit("\n")
        elif key == "{mode}":
            self.chosen[self.kind] = not self.zh
            self._apply(self.base, self.kind)
        elif key == "{shift}":
            self.shift = {"off": "once", "once": "lock", "lock": "off"}[self.shift]
            self._faces()
        elif key.startswith("{page:"):
            self.page = key[6:-1]
            self._build()
        else:
            char = cased(key) if self.shift != "off" else key
            if self.zh and len(char) == 1 and "a" <= char <= "z":
                self.composer.type(char)
                self._composed()
            else:
                self.typed.emit(char)
            rebuild = False
            if self.shift == "once" and key.upper() != key:
                self.shift = "off"
                rebuild = True
            if self.page in self.layout_.one_shot:
                self.page = self.layout_.first
                self._build()
            elif rebuild:
                self._faces()

    def _compose(self, key: str) -> bool:
        """A key tapped while composing: True if the composition took it whole."""
        if key == "{back}":
            self.composer.erase()
        elif key == "{space}":
            if self.composer.candidates:
                self._pick(0)
                return True
            self.typed.emit(self.composer.take_letters())
        elif key == "{enter}":
            self.typed.emit(self.composer.take_letters())
        elif key.startswith(("{page:", "{shift}")):
            return False  # the composition waits on another page
        elif not (self.shift == "off" and len(key) == 1 and "a" <= key <= "z"):
            # Anything else is typed after the letters as they are.
            self.typed.emit(self.composer.take_letters())
            self._composed()
            return False
        else:
            return False
        self._composed()
        return True

    def commit_pending(self) -> None:
        """Type the letters still being composed, as they are: the citizen moved
        to another field or sent the form, and what was typed must not vanish."""
        if self.composer.composing:
            self.typed.emit(self.composer.take_letters())
            self._composed()

    def _pick(self, index: int) -> None:
        self.typed.emit(self.composer.pick(index))
        self._composed()

    def _composed(self) -> None:
        """The composition changed: the bar, and the faces of space and enter."""
        self._show_bar()
        self._faces(only=("{space}", "{enter}"))
