"""The keyboard's layouts as data, and how to type a character on one.

Qt-free on purpose (though under ``kiosk.ui``): the layouts and the routes to
a character are checked without drawing anything, and the autopilot and the
tests find the keys to tap for a text with ``taps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

_DIGIT_ROW = "1 2 3 4 5 6 7 8 9 0 {back}*2"
_BOTTOM = "{page:symbols}*2 {mode}*2 @ _ {space}*4 {enter}*2"
_SYMBOLS_BOTTOM = "{page:letters}*2 {mode}*2 {space}*6 {enter}*2"
# A multiline field: a new line instead of what only e-mail addresses need
# (@ and _ are on the symbols page too).
_LINES_BOTTOM = "{page:symbols}*2 {mode}*2 {space}*4 {newline}*2 {enter}*2"
_SYMBOLS_LINES_BOTTOM = "{page:letters}*2 {mode}*2 {space}*4 {newline}*2 {enter}*2"

# The symbols page in pinyin mode: full-width Chinese punctuation first, then
# what addresses need. The rarer Latin signs (º ª · < > €) stay on the Latin
# layout's symbols page, a tap on the mode key away.
ZH_SYMBOLS = ("， 。 、 ？ ！ ： ； 「 」 （ ）",
              "# & + = ( ) [ ] % $ * ~",
              ". , : ; ' \" ! ? - @ _ /")


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
    def composes(self) -> bool:
        """Can switch to pinyin: then a row for the candidate bar is reserved."""
        return any("{mode}" in row for rows in self.pages.values() for row in rows)

    @property
    def height(self) -> int:
        rows = max(len(rows) for rows in self.pages.values()) + self.composes
        return rows * self.key_height + (rows - 1) * self.gap

    @property
    def width(self) -> int:
        widest = max(sum(parse(s)[1] for s in r.split(" "))
                     for p in self.pages.values() for r in p)
        return round(widest * self.key_width + (widest - 1) * self.gap)


LATIN = Layout("latin", {
    "letters": (_DIGIT_ROW,
                "q w e r t y u i o p {page:accents}*2",
                "a s d f g h j k l ç ' /",
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
                "- * ~ € · < > @ _ /",
                _SYMBOLS_BOTTOM),
}, one_shot=frozenset({"accents"}))

DIGITS = Layout("digits", {"digits": ("1 2 3 {back}", "4 5 6 {enter}", "7 8 9 {gap}",
                                      "{gap} 0 {gap} {gap}")}, key_width=150)
# A phone number is digits and a leading +: no space, no letters.
PHONE = Layout("phone", {"digits": ("1 2 3 {back}", "4 5 6 {enter}", "7 8 9 {gap}",
                                    "+ 0 {gap} {gap}")}, key_width=150)
PIN = Layout("pin", {"digits": ("1 2 3", "4 5 6", "7 8 9", "{gap} 0 {back}")},
             key_width=170, key_height=100, gap=16, role="pinkey")

LAYOUTS: dict[str, Layout] = {"latin": LATIN, "digits": DIGITS, "phone": PHONE, "pin": PIN}


_VARIANTS: dict[tuple[str, bool, bool], Layout] = {}


def variant(layout: Layout, *, lines: bool, zh: bool) -> Layout:
    """``layout`` for a multiline field (a {newline} key) and in pinyin mode
    (Chinese punctuation on the symbols page); the same object each time.
    Only layouts with a {mode} key have variants."""
    if not layout.composes or not (lines or zh):
        return layout
    known = _VARIANTS.get((layout.name, lines, zh))
    if known is not None:
        return known
    pages = dict(layout.pages)
    if lines:
        pages = {name: (*rows[:-1], rows[-1].replace(_BOTTOM, _LINES_BOTTOM)
                        .replace(_SYMBOLS_BOTTOM, _SYMBOLS_LINES_BOTTOM))
                 for name, rows in pages.items()}
    if zh:
        symbols = pages["symbols"]
        pages["symbols"] = (symbols[0], *ZH_SYMBOLS, symbols[-1])
    made = replace(layout, name=f"{layout.name}{'-lines' if lines else ''}{'-zh' if zh else ''}",
                   pages=pages)
    _VARIANTS[(layout.name, lines, zh)] = made
    return made


def parse(spec: str) -> tuple[str, float]:
    if len(spec) > 1 and "*" in spec:
        key, _, width = spec.rpartition("*")
        return key, float(width)
    return spec, 1.0


def function_key(key: str) -> bool:
    return key.startswith("{") and len(key) > 1


def cased(key: str) -> str:
    upper = key.upper()
    return upper if len(upper) == 1 else key



# ----- finding keys ----------------------------------------------------------------


def _specs(layout: Layout, page: str) -> list[str]:
    return [parse(s)[0] for row in layout.pages[page] for s in row.split(" ")]


def _base_of(layout: Layout, page: str, char: str) -> str | None:
    for key in _specs(layout, page):
        if function_key(key):
            continue
        if key == char or (cased(key) == char and key.upper() != key):
            return key
    return None


def _route(layout: Layout, here: str, page: str) -> list[str] | None:
    """Page keys to reach ``page`` from ``here`` (at most two taps)."""
    if f"{{page:{page}}}" in _specs(layout, here):
        return [f"key:{{page:{page}}}"]
    for middle in layout.pages:
        if (f"{{page:{middle}}}" in _specs(layout, here)
                and f"{{page:{page}}}" in _specs(layout, middle)):
            return [f"key:{{page:{middle}}}", f"key:{{page:{page}}}"]
    return None


def taps(layout: Layout, here: str, shift: str, char: str) -> list[str] | None:
    """The taps that type ``char`` on ``layout`` showing page ``here``."""
    special = {" ": "{space}", "\n": "{newline}"}.get(char)
    if special is not None:
        return [f"key:{special}"] if special in _specs(layout, here) else None
    for page in (here, *(p for p in layout.pages if p != here)):
        base = _base_of(layout, page, char)
        if base is None:
            continue
        taps: list[str] = []
        if page != here:
            via = _route(layout, here, page)
            if via is None:
                continue
            taps += via
        upper = base != char
        if base.upper() != base:  # a letter: shift matters
            if upper and shift == "off":
                taps.append("key:{shift}")
            elif not upper and shift == "once":
                taps += ["key:{shift}", "key:{shift}"]  # once → lock → off
            elif not upper and shift == "lock":
                taps.append("key:{shift}")
        taps.append(f"key:{base}")
        return taps
    return None
