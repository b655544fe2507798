"""The on-screen keyboard's Chinese part: the candidate bar above the keys.

In pinyin mode the letters a citizen taps are not text yet: they gather in a
composition (``kiosk.i18n.pinyin.Composer``) that the bar shows as typed,
followed by the characters and words they may stand for. A tap on one types
it. The bar is a row of the keyboard whether it has anything to show or not,
so the keys and the form above never move when it fills (a finger on its way
to a key must find it where it was).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from kiosk.i18n.pinyin import Candidate, Composer
from kiosk.ui.theme import FONT_FAMILIES, SIZES
from kiosk.ui.widgets import repolish, take_all

Tr = Callable[..., str]

PAD = 2 * 16 + 2 * 2  # a candidate's padding and border, beside its text
MAX_BUFFER_WIDTH = 240  # the letters as typed; more shows as "…" and the last ones


class SizedButton(QPushButton):
    """A button of exactly the size given: the stylesheet's minimum sizes for
    key roles (zero) would otherwise let the row shrink it to its text."""

    def __init__(self, text: str = "", name: str = "") -> None:
        super().__init__(text, objectName=name)
        self._size = QSize(0, 0)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_size(self, width: int, height: int) -> None:
        if self._size == QSize(width, height):
            return
        self._size = QSize(width, height)
        self.setFixedSize(self._size)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        return self._size

    def minimumSizeHint(self) -> QSize:
        return self._size


def candidate_font() -> QFont:
    """Candidates are text to be typed: as large as the fields' text."""
    font = QFont(list(FONT_FAMILIES))
    font.setPixelSize(SIZES.field)
    return font


class CandidateBar(QWidget):
    """The letters typed, the candidates that fit one page, and arrows to page
    through the rest. Shows a hint when nothing is being composed."""

    picked = Signal(int)  # the candidate's index in the composer's list

    def __init__(self, tr: Tr, parent: QWidget, *, width: int, height: int, key_width: int,
                 gap: int) -> None:
        super().__init__(parent, objectName="CandidateBar")
        self.tr_ = tr
        self.key_width = key_width  # the arrows', and a candidate's at least
        self.gap = gap
        self.setFixedSize(width, height)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        # Candidates in the fields' text size (the app's stylesheet sizes keys
        # by role; a widget's own sheet wins over it for its children).
        self.font_ = candidate_font()
        self.setStyleSheet(f"QPushButton {{ font-size: {self.font_.pixelSize()}px; }}")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(gap)
        self.letters = QLabel(objectName="CandidateLetters")
        self.letters.setProperty("role", "fieldlabel")
        self.row.addWidget(self.letters)
        self.hint = QLabel(objectName="CandidateHint")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        self.row.addWidget(self.hint, 1)
        self.buttons: list[SizedButton] = []  # a pool, reused page after page
        self.prev = self._arrow("cand:prev", "‹", "ui.keyboard.candidates.previous", -1)
        self.next = self._arrow("cand:next", "›", "ui.keyboard.candidates.next", +1)
        self.composer: Composer | None = None
        self.pages: list[int] = [0]  # where each page seen so far starts
        self.page = 0

    def _arrow(self, name: str, face: str, text_key: str, step: int) -> SizedButton:
        b = SizedButton(face, name)
        # The bar's from the start: one never laid out (no second page) would
        # otherwise outlive the bar, held by its own click handler (a soak found it).
        b.setParent(self)
        b.setProperty("role", "keyfn")
        b.setAccessibleName(self.tr_(text_key))
        b.set_size(self.key_width, self.height())
        policy = b.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the candidates never move over
        b.setSizePolicy(policy)
        b.clicked.connect(lambda _=False: self._turn(step))
        b.hide()
        return b

    # ----- what the keyboard asks of it ---------------------------------------------------

    def show_hint(self, text: str) -> None:
        """No composition: the bar says what the mode is, or how to get it."""
        self.composer = None
        self._clear_row()
        self.letters.hide()
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        self.row.addWidget(self.hint, 1)

    def show_composer(self, composer: Composer) -> None:
        """The composition has changed: show it from its first page."""
        self.composer = composer
        self.pages, self.page = [0], 0
        self._draw()

    # ----- drawing ---------------------------------------------------------------------------

    def _clear_row(self) -> None:
        take_all(self.row)  # the bar keeps its buttons: hidden, drawn again
        for w in (*self.buttons, self.prev, self.next, self.hint, self.letters):
            w.hide()

    def _draw(self) -> None:
        composer = self.composer
        assert composer is not None
        self._clear_row()
        metrics = QFontMetrics(self.letters.font())
        shown = metrics.elidedText(composer.buffer, Qt.TextElideMode.ElideLeft, MAX_BUFFER_WIDTH)
        self.letters.setText(shown)
        width = min(MAX_BUFFER_WIDTH, metrics.horizontalAdvance(shown) + 8)
        self.letters.setFixedWidth(width)  # (its width() follows at the next layout)
        self.row.addWidget(self.letters)
        self.letters.show()
        found = composer.candidates
        room = self.width() - width - 2 * self.key_width - 3 * self.gap
        start = self.pages[self.page]
        end = self._fit(found, start, room)
        if end < len(found) and self.page + 1 == len(self.pages):
            self.pages.append(end)
        for i in range(start, end):
            b = self._button(i - start)
            text = found[i].text
            width = self._width(text, room)
            if width == room and self._width(text, 10**6) > room:
                text = QFontMetrics(self.font_).elidedText(text, Qt.TextElideMode.ElideRight,
                                                           room - PAD)
            b.setText(text)
            b.setAccessibleName(found[i].text)
            b.setObjectName(f"cand:{i}")
            b.set_size(width, self.height())
            # The first one is what {space} picks: it looks like an active key.
            role = "keyfn" if i == 0 else "key"
            if b.property("role") != role:  # (restyling is what a redraw costs most)
                b.setProperty("role", role)
                b.setProperty("active", i == 0)
                repolish(b)
            self.row.addWidget(b)
            b.show()
        self.row.addStretch(1)
        for arrow, needed in ((self.prev, self.page > 0), (self.next, end < len(found))):
            self.row.addWidget(arrow)
            arrow.setVisible(needed)

    def _width(self, text: str, room: int) -> int:
        return min(room, max(self.key_width,
                             QFontMetrics(self.font_).horizontalAdvance(text) + PAD))

    def _fit(self, found: list[Candidate], start: int, room: int) -> int:
        """The end of the page that starts at ``start`` (at least one candidate)."""
        used, end = 0, start
        while end < len(found):
            width = self._width(found[end].text, room) + (self.gap if end > start else 0)
            if end > start and used + width > room:
                break
            used += width
            end += 1
        return end

    def _button(self, index: int) -> SizedButton:
        while len(self.buttons) <= index:
            b = SizedButton()
            b.setParent(self)  # freed with the bar, laid out or not
            b.clicked.connect(lambda _=False, b=b: self.picked.emit(
                int(b.objectName().removeprefix("cand:"))))
            self.buttons.append(b)
        return self.buttons[index]

    def _turn(self, step: int) -> None:
        self.page = max(0, min(len(self.pages) - 1, self.page + step))
        self._draw()
