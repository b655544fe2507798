"""The gallery: every screen, in every language and accessibility mode, as PNG.

``kiosk ui gallery --out DIR`` draws the sample views of ``gallery_views`` on
the real window (offscreen, at the kiosk's own 1920×1080) and writes
``DIR/<mode>/<lang>/NN-<screen>.png`` and an ``index.html`` to look through.
Each picture is also checked the way a reviewer would look at it
(``layout_problems``): nothing off screen, no text cut, every button at least
60 px, every text in the citizen's language; the problems found are listed in
the report, and the UI tests assert there are none.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES, all_keys, has, t
from kiosk.journey import Access, View
from kiosk.ui.gallery_views import frame_views, maintenance_views, step_views

MAINTENANCE_SCREENS = frozenset(v.screen for v in maintenance_views("en"))
COMPOSING = "form-chinese-input"  # the address typed in pinyin, candidates showing
MIN_TARGET = 60  # px: the touch-target floor (Apple 44 pt, Material 48 dp)
MODES: dict[str, Access] = {
    "standard": Access(),
    "contrast": Access(high_contrast=True),
    "large": Access(large_text=True),
    "contrast+large": Access(high_contrast=True, large_text=True),
}
DEFAULT_MODES = ("standard", "contrast", "large")


def _in_scroll_area(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def layout_problems(window: QWidget) -> list[str]:
    """What a reviewer would point at: a widget off screen, a button under the
    touch-target size, a label too small for its text."""
    problems: list[str] = []
    frame = QRect(QPoint(0, 0), window.size())
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.width() == 0 or _in_scroll_area(w):
            continue
        box = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        if not frame.contains(box):
            problems.append(f"{w.objectName() or type(w).__name__} at {box.getRect()} "
                            "is off screen")
    # Everything a finger acts on: buttons (keys, tiles, toggles) and text fields.
    # (Scroll bars only show where the content is; the content drags by itself.)
    targets = [*window.findChildren(QAbstractButton), *window.findChildren(QLineEdit),
               *window.findChildren(QPlainTextEdit)]
    for b in targets:
        if b.isVisible() and (b.width() < MIN_TARGET or b.height() < MIN_TARGET):
            problems.append(f"{type(b).__name__} {b.objectName()} is "
                            f"{b.width()}×{b.height()} px")
    for lbl in window.findChildren(QLabel):
        if not lbl.isVisible() or not lbl.text():
            continue
        if lbl.wordWrap():
            need = lbl.heightForWidth(lbl.width())
            if lbl.height() < need:
                problems.append(f"text {lbl.text()[:40]!r} cut ({lbl.height()} < {need} px)")
        else:
            need = lbl.minimumSizeHint().width()
            if lbl.width() < need:
                problems.append(f"text {lbl.text()[:40]!r} cut ({lbl.width()} < {need} px)")
    return problems


@cache
def _texts_of(lang: str) -> frozenset[str]:
    """Every catalogue text in ``lang`` (placeholders left as they are)."""
    return frozenset(text for key in all_keys() if "{" not in (text := t(key, lang)))


def foreign_texts(window: QWidget, lang: str) -> list[str]:
    """Texts on show that belong to another language only (a missing
    translation, or a text drawn once and not redrawn on a language switch), or
    a text key shown as it is.
    The language buttons name their languages in their own tongue, by design,
    and a text that says which language it is in (its ``lang`` property: the
    out-of-service notice, in every language at once) is that language's."""
    others = frozenset().union(*(_texts_of(x) for x in LANGUAGES if x != lang))
    own = _texts_of(lang) | frozenset(LANGUAGE_NAMES.values())
    problems = []
    for w in window.findChildren(QLabel) + window.findChildren(QPushButton):
        text = w.text().strip()
        if not w.isVisible() or w.property("lang"):
            continue
        if text in others and text not in own:
            problems.append(f"{text[:40]!r} is not {lang}")
        elif has(text):
            problems.append(f"{text!r} is a text key, shown untranslated")
    return problems


@dataclass
class Picture:
    mode: str
    lang: str
    name: str
    path: str
    problems: list[str] = field(default_factory=list)
    spoken: str = ""


def sample_views(lang: str, catalog: Sequence[Any]) -> Iterator[tuple[str, View]]:
    """(name, view) for every sample, the idle warning and speech controls included."""
    frames, steps = frame_views(lang, catalog), step_views(lang)
    for view in [*frames, *steps, *maintenance_views(lang)]:
        yield f"{view.screen}-{view.step_id or 'frame'}", view
    form = steps[0]
    yield COMPOSING, form
    yield "form-idle-warning", replace(form, idle_seconds_left=20)
    yield "catalog-speech-on", replace(frames[3], access=Access(speech=True, volume=80))


def _compose(window: Any, field: str, letters: str) -> None:
    """Tap ``field`` and type ``letters`` in pinyin (switching to it if needed)."""
    QTest.mouseClick(window.findChild(QWidget, f"field:{field}"), Qt.MouseButton.LeftButton)
    if not window.screen.keyboard.zh:  # the keyboard opened in Latin letters here
        window.findChild(QPushButton, "key:{mode}").click()
    for ch in letters:
        window.findChild(QPushButton, f"key:{ch}").click()


def render_gallery(window: Any, catalog: Sequence[Any], out: Path,
                   langs: Sequence[str] = LANGUAGES,
                   modes: Sequence[str] = DEFAULT_MODES) -> list[Picture]:
    """Draw every sample on ``window`` (a KioskWindow) and save it under ``out``."""
    pictures: list[Picture] = []
    for mode in modes:
        for lang in langs:
            folder = out / mode / lang
            folder.mkdir(parents=True, exist_ok=True)
            for i, (name, view) in enumerate(sample_views(lang, catalog)):
                if mode != "standard" and view.screen in MAINTENANCE_SCREENS:
                    # Maintenance draws its screens without a citizen's choices.
                    continue
                access = replace(MODES[mode], speech=view.access.speech,
                                 volume=view.access.volume)
                window.render(replace(view, access=access))
                if name == COMPOSING:
                    _compose(window, "address", "aomen")
                path = folder / f"{i:02d}-{name}.png"
                window.grab().save(str(path))
                problems = layout_problems(window) + foreign_texts(window, lang)
                pictures.append(Picture(mode, lang, name, str(path.relative_to(out)),
                                        problems, window.spoken_text()))
    (out / "index.html").write_text(_index(pictures), encoding="utf-8")
    (out / "gallery.json").write_text(
        json.dumps([p.__dict__ for p in pictures], ensure_ascii=False, indent=1),
        encoding="utf-8")
    return pictures


def _index(pictures: Sequence[Picture]) -> str:
    rows = []
    for p in pictures:
        flag = "".join(f"<li>{html.escape(x)}</li>" for x in p.problems)
        rows.append(f'<figure><a href="{p.path}"><img src="{p.path}" loading="lazy"></a>'
                    f"<figcaption>{p.mode} · {p.lang} · {html.escape(p.name)}"
                    f"<ul>{flag}</ul></figcaption></figure>")
    return ("<!doctype html><meta charset='utf-8'><title>kiosk gallery</title><style>"
            "body{font-family:sans-serif;display:flex;flex-wrap:wrap;gap:12px}"
            "img{width:480px;border:1px solid #999}li{color:#a4262c}</style>"
            + "".join(rows))
