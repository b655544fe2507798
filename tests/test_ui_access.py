"""Every screen, language and accessibility mode walked on the real UI
(offscreen); the citizen's display and speech choices; the read-aloud text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from kiosk.i18n import LANGUAGES, t
from kiosk.journey import Access, View
from kiosk.ui.gallery import DEFAULT_MODES, foreign_texts, render_gallery
from kiosk.ui.gallery_views import maintenance_views
from kiosk.ui.speech import utterance
from kiosk.ui.theme import (
    HIGH_CONTRAST,
    LARGE,
    PALETTE,
    SIZES,
    STANDARD,
    TEXT_PAIRS,
    active,
    contrast_ratio,
)
from tests.ui_helpers import started_kiosk, tap


@pytest.fixture
def kiosk(qtbot, terminal):
    k = started_kiosk(qtbot, terminal, lang="en")
    yield k
    k.host.shutdown()


def test_the_gallery_every_screen_language_and_mode(qtbot, kiosk, tmp_path: Path) -> None:
    """Every sample screen × 3 languages × standard, contrast, large (maintenance's
    in standard only: it never draws a citizen's choices): nothing off screen or
    cut, every button at least 60 px, no text of another language."""
    pictures = render_gallery(kiosk.window, kiosk.journey.catalog(), tmp_path)
    by_mode = {m: sum(p.mode == m for p in pictures) for m in DEFAULT_MODES}
    maintenance = len(maintenance_views("en")) * len(LANGUAGES)
    citizens = by_mode["standard"] - maintenance
    assert citizens >= 28 * len(LANGUAGES)
    assert all(n == citizens for m, n in by_mode.items() if m != "standard")
    assert {p.name.split("-")[0] for p in pictures if p.mode == "standard"} >= {
        "out_of_service", "maint_pin", "maint_home", "maint_settings", "maint_selftest"}
    flawed = {p.path: p.problems for p in pictures if p.problems}
    assert not flawed
    assert all((tmp_path / p.path).stat().st_size > 20_000 for p in pictures)
    assert (tmp_path / "index.html").read_text(encoding="utf-8").count("<img") == len(pictures)
    # Each picture's words are said when read aloud.
    assert all(p.spoken for p in pictures)


def test_a_missing_translation_is_caught(qtbot, kiosk) -> None:
    kiosk.window.render(View("attract", "pt", {}))
    assert foreign_texts(kiosk.window, "pt") == []
    shown = [w for w in kiosk.window.findChildren(QLabel) if w.isVisible() and w.text()]
    shown[-1].setText(t("attract.title", "zh-Hant"))
    assert foreign_texts(kiosk.window, "pt") == [f"{t('attract.title', 'zh-Hant')!r} is not pt"]
    shown[-1].setText("attract.title")
    assert foreign_texts(kiosk.window, "pt") == [
        "'attract.title' is a text key, shown untranslated"]


def test_both_palettes_are_legible() -> None:
    for fg, bg in TEXT_PAIRS:
        assert contrast_ratio(getattr(STANDARD, fg), getattr(STANDARD, bg)) >= 4.5, (fg, bg)
        # High contrast: WCAG AAA, 7:1.
        assert contrast_ratio(getattr(HIGH_CONTRAST, fg), getattr(HIGH_CONTRAST, bg)) >= 7, \
            (fg, bg)


def test_large_text_is_larger_everywhere_and_never_under_24_px() -> None:
    from kiosk.ui.theme import REGULAR

    for size in ("body", "small", "title", "heading", "field", "key", "button_height"):
        assert getattr(LARGE, size) > getattr(REGULAR, size), size
    assert min(REGULAR.small, REGULAR.body) >= 24
    # ADA 707.7.2: text at least 4.8 mm high; a 24 px line on a 21.5" 1080p panel
    # (0.248 mm a pixel) is 6 mm, its capitals about 4.3 mm: body is 28.
    assert REGULAR.body * 0.248 * 0.7 >= 4.8


def test_the_citizen_switches_modes_on_any_screen_and_the_next_one_starts_plain(
        qtbot, kiosk) -> None:
    tap(qtbot, kiosk, "act:access:contrast")
    assert active().palette is HIGH_CONTRAST and PALETTE.surface == HIGH_CONTRAST.surface
    assert HIGH_CONTRAST.surface in kiosk.window.styleSheet()
    tap(qtbot, kiosk, "act:start")
    tap(qtbot, kiosk, "act:access:large_text")
    assert SIZES.body == LARGE.body
    assert kiosk.window.top.height() == LARGE.bar_height
    button = kiosk.window.findChild(QPushButton, "act:access:large_text")
    assert button.isChecked() and button.width() >= 60
    tap(qtbot, kiosk, "act:choose_lang:pt")
    assert kiosk.journey.access == Access(high_contrast=True, large_text=True)
    tap(qtbot, kiosk, "act:cancel")
    assert kiosk.journey._screen[0] == "attract"
    assert active().palette is STANDARD and active().sizes.body < LARGE.body
    assert not kiosk.window.findChild(QPushButton, "act:access:contrast").isChecked()


def test_speech_reads_each_new_screen_again_on_request_and_stops(qtbot, kiosk,
                                                                 terminal) -> None:
    speaker = terminal.devices["speaker"]
    said = lambda: [s for s in speaker.spoken if s[0] == "say"]  # noqa: E731
    tap(qtbot, kiosk, "act:access:speech")
    assert len(said()) == 1
    first = said()[-1]
    assert t("attract.title", "en") in first[2] and first[1] == "en"
    assert t("header.government", "en") not in first[2]  # the chrome is not read every time
    tap(qtbot, kiosk, "act:start")
    assert t("language.prompt", "en") in said()[-1][2]
    tap(qtbot, kiosk, "act:access:repeat")
    assert said()[-1][2] == said()[-2][2] and len(said()) == 3
    tap(qtbot, kiosk, "act:access:louder")
    tap(qtbot, kiosk, "act:choose_lang:zh-Hant")
    last = said()[-1]
    assert last[1] == "zh-Hant" and last[3] == 80 and t("catalog.title", "zh-Hant") in last[2]
    assert "q. w. e." not in last[2]
    tap(qtbot, kiosk, "act:access:speech")
    assert speaker.spoken[-1][0] == "stop"


def test_the_idle_warning_is_said_when_it_appears(qtbot, kiosk, terminal) -> None:
    speaker = terminal.devices["speaker"]
    tap(qtbot, kiosk, "act:start")
    tap(qtbot, kiosk, "act:access:speech")
    before = len(speaker.spoken)
    kiosk.host.clock.advance(terminal.config.session.idle_timeout_s)
    new = [s for s in speaker.spoken[before:] if s[0] == "say"]
    assert len(new) == 1 and t("idle.title", "en") in new[0][2]
    kiosk.host.clock.advance(3)  # the countdown ticks: not said again each second
    assert len([s for s in speaker.spoken[before:] if s[0] == "say"]) == 1


def test_utterance_pauses_between_texts_in_each_language() -> None:
    assert utterance(["Choose a service", "Start"], "en") == "Choose a service. Start."
    assert utterance(["請選擇服務", "開始"], "zh-Hant") == "請選擇服務。開始。"
    assert utterance(["Precisa de mais tempo?", ""], "pt") == "Precisa de mais tempo?"


@pytest.mark.parametrize("access", [Access(), Access(large_text=True)])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_keyboard_never_covers_the_field_it_types_into(qtbot, kiosk, lang, access) -> None:
    from dataclasses import replace

    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    from kiosk.ui.gallery_views import FIELDS, step_views

    kiosk.window.render(replace(step_views(lang)[0], access=access))
    keyboard = kiosk.window.screen.keyboard

    def box(w: QWidget) -> QRect:
        return QRect(w.mapTo(kiosk.window, QPoint(0, 0)), w.size())

    typed = [f["name"] for f in FIELDS if f["kind"] != "choice"]
    for name in typed:
        editor = kiosk.window.findChild(QWidget, f"field:{name}")
        QTest.mouseClick(editor, Qt.MouseButton.LeftButton)
        field, keys = box(editor), box(keyboard)
        viewport = editor.parentWidget()
        while viewport is not None and viewport.objectName() != "qt_scrollarea_viewport":
            viewport = viewport.parentWidget()
        assert viewport is not None
        assert box(viewport).contains(field), f"{name} scrolled out of sight"
        assert not field.intersects(keys), f"the keyboard covers {name}"
        assert keyboard.isVisible()
