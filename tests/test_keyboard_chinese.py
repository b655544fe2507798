"""Chinese on the on-screen keyboard (offscreen Qt): pinyin mode in a form,
the candidate bar, and the keys multiline and phone fields get."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from kiosk.i18n import t
from kiosk.journey import View
from kiosk.ui.keyboard import LATIN, PHONE, Keyboard
from kiosk.ui.keyboard_layouts import function_key, parse, variant
from kiosk.ui.screens_forms import FormScreen
from tests.ui_helpers import editor, started_kiosk, text_of

SERVICE = "safp.feedback"


def tri(zh: str, pt: str, en: str) -> dict[str, str]:
    return {"zh-Hant": zh, "pt": pt, "en": en}


FIELDS: list[dict[str, Any]] = [
    {"name": "name", "label": tri("姓名", "Nome", "Name"), "kind": "text", "value": "",
     "required": True, "max_length": 60},
    {"name": "phone", "label": tri("流動電話號碼", "Telemóvel", "Mobile number"),
     "kind": "phone", "value": "", "required": True, "max_length": 16},
    {"name": "email", "label": tri("電郵地址", "Correio eletrónico", "E-mail address"),
     "kind": "email", "value": "", "required": False, "max_length": 80},
    {"name": "message", "label": tri("意見內容", "Mensagem", "Message"),
     "kind": "multiline", "value": "", "required": True, "max_length": 500},
]


def form(lang: str) -> View:
    return View("form", lang, {"title": tri("意見反映", "Opinião", "Feedback"),
                               "fields": FIELDS}, SERVICE, "feedback", 2, 4)


@pytest.fixture
def kiosk(qtbot, terminal):
    k = started_kiosk(qtbot, terminal)
    yield k
    k.host.shutdown()


def shown(kiosk, lang: str, field: str) -> Keyboard:
    """The form in ``lang`` with ``field`` the one typed into; its keyboard."""
    kiosk.window.render(form(lang))
    qtbot_click(editor(kiosk, field))
    screen = kiosk.window.screen
    assert isinstance(screen, FormScreen)
    assert editor(kiosk, field).property("current")
    return screen.keyboard


def qtbot_click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)




def button(kiosk, name: str) -> QPushButton | None:
    b = kiosk.window.findChild(QPushButton, name)
    return b if b is not None and b.isVisible() else None


def tap(qtbot, kiosk, *names: str) -> None:
    for name in names:
        b = button(kiosk, name)
        assert b is not None, f"no button {name} on show"
        assert b.isEnabled(), name
        qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def letters(qtbot, kiosk, word: str) -> None:
    tap(qtbot, kiosk, *(f"key:{ch}" for ch in word))


def bar_letters(kiosk) -> str:
    shown_label = kiosk.window.findChild(QLabel, "CandidateLetters")
    return shown_label.text() if shown_label.isVisible() else ""


def candidate_buttons(kiosk) -> list[QPushButton]:
    found = [b for b in kiosk.window.findChildren(QPushButton)
             if b.objectName().startswith("cand:") and b.objectName()[5:].isdigit()
             and b.isVisible()]
    return sorted(found, key=lambda b: int(b.objectName()[5:]))


# ----- typing Chinese ----------------------------------------------------------------


def test_switch_to_chinese_type_xianggang_and_pick_hong_kong(qtbot, kiosk) -> None:
    keyboard = shown(kiosk, "zh-Hant", "name")
    mode = button(kiosk, "key:{mode}")
    assert mode is not None and not keyboard.zh  # a one-line field opens in letters
    assert mode.text() == t("ui.keyboard.mode.pinyin", "zh-Hant")
    assert mode.accessibleName() == t("ui.keyboard.mode.pinyin_name", "zh-Hant")
    tap(qtbot, kiosk, "key:{mode}")
    assert keyboard.zh
    mode = button(kiosk, "key:{mode}")
    assert mode.text() == t("ui.keyboard.mode.latin", "zh-Hant")
    assert mode.accessibleName() == t("ui.keyboard.mode.latin_name", "zh-Hant")
    letters(qtbot, kiosk, "xianggang")
    assert text_of(editor(kiosk, "name")) == ""  # letters compose; the field waits
    assert bar_letters(kiosk) == "xianggang"
    first = candidate_buttons(kiosk)[0]
    assert first.objectName() == "cand:0" and first.text() == "香港"
    assert button(kiosk, "key:{space}").text() == t("ui.keyboard.pick", "zh-Hant")
    tap(qtbot, kiosk, "cand:0")
    assert text_of(editor(kiosk, "name")) == "香港"
    assert bar_letters(kiosk) == "" and not candidate_buttons(kiosk)
    assert button(kiosk, "key:{space}").text() == t("ui.keyboard.space", "zh-Hant")


def test_space_picks_the_first_and_a_part_leaves_the_rest(qtbot, kiosk) -> None:
    shown(kiosk, "zh-Hant", "message")  # free text in Chinese opens in pinyin
    letters(qtbot, kiosk, "aomen")
    tap(qtbot, kiosk, "key:{space}")
    assert text_of(editor(kiosk, "message")) == "澳門"
    letters(qtbot, kiosk, "xianggangren")
    hong_kong = next(b for b in candidate_buttons(kiosk) if b.text() == "香港")
    qtbot.mouseClick(hong_kong, Qt.MouseButton.LeftButton)
    assert text_of(editor(kiosk, "message")) == "澳門香港"
    assert bar_letters(kiosk) == "ren"
    tap(qtbot, kiosk, "key:{space}")
    assert text_of(editor(kiosk, "message")) == "澳門香港人"


def test_backspace_erases_the_letters_first_then_the_field(qtbot, kiosk) -> None:
    shown(kiosk, "zh-Hant", "message")
    letters(qtbot, kiosk, "ni")
    tap(qtbot, kiosk, "key:{space}")
    letters(qtbot, kiosk, "hao")
    tap(qtbot, kiosk, "key:{back}")
    assert bar_letters(kiosk) == "ha" and text_of(editor(kiosk, "message")) == "你"
    tap(qtbot, kiosk, "key:{back}", "key:{back}")
    assert bar_letters(kiosk) == "" and text_of(editor(kiosk, "message")) == "你"
    assert kiosk.window.findChild(QLabel, "CandidateHint").text() == t(
        "ui.keyboard.pinyin_hint", "zh-Hant")
    tap(qtbot, kiosk, "key:{back}")
    assert text_of(editor(kiosk, "message")) == ""


def test_enter_types_the_letters_as_typed_then_goes_on(qtbot, kiosk) -> None:
    keyboard = shown(kiosk, "zh-Hant", "message")
    keyboard.set_enter_text("next")
    letters(qtbot, kiosk, "ok")
    assert button(kiosk, "key:{enter}").text() == t("ui.keyboard.as_typed", "zh-Hant")
    tap(qtbot, kiosk, "key:{enter}")
    assert text_of(editor(kiosk, "message")) == "ok"
    assert button(kiosk, "key:{enter}").text() == "next"
    # A capital is Latin by nature: typed at once, and other keys type the
    # letters composed so far before themselves.
    tap(qtbot, kiosk, "key:{shift}", "key:m", "key:a", "key:c", "key:{page:symbols}")
    assert bar_letters(kiosk) == "ac"  # the composition waits on another page
    tap(qtbot, kiosk, "key:，")
    assert text_of(editor(kiosk, "message")) == "okMac，"


def test_chinese_punctuation_only_in_pinyin(qtbot, kiosk) -> None:
    shown(kiosk, "zh-Hant", "message")
    tap(qtbot, kiosk, "key:{page:symbols}")
    for mark in "，。、？！：；「」":
        assert button(kiosk, f"key:{mark}") is not None, mark
    tap(qtbot, kiosk, "key:「", "key:」", "key:。")
    assert text_of(editor(kiosk, "message")) == "「」。"
    tap(qtbot, kiosk, "key:{mode}")
    assert button(kiosk, "key:，") is None and button(kiosk, "key:º") is not None


def test_candidates_are_big_enough_and_page(qtbot, kiosk) -> None:
    shown(kiosk, "zh-Hant", "message")
    letters(qtbot, kiosk, "shi")  # a syllable with a hundred characters
    page = candidate_buttons(kiosk)
    assert len(page) >= 5
    for b in page:
        assert b.height() >= 60 and b.width() >= 60, b.objectName()
        assert b.width() >= QFontMetrics(b.font()).horizontalAdvance(b.text()) + 16, b.text()
    assert button(kiosk, "cand:prev") is None
    assert button(kiosk, "cand:next").accessibleName() == t("ui.keyboard.candidates.next",
                                                            "zh-Hant")
    last = int(page[-1].objectName()[5:])  # (the buttons are reused page after page)
    tap(qtbot, kiosk, "cand:next")
    second = candidate_buttons(kiosk)
    assert int(second[0].objectName()[5:]) == last + 1
    assert button(kiosk, "cand:prev").accessibleName() == t(
        "ui.keyboard.candidates.previous", "zh-Hant")
    qtbot.mouseClick(second[0], Qt.MouseButton.LeftButton)
    assert text_of(editor(kiosk, "message")) == second[0].text()
    tap(qtbot, kiosk, *(f"key:{ch}" for ch in "shi"), "cand:next", "cand:prev")
    assert candidate_buttons(kiosk)[0].objectName() == "cand:0"


def test_nothing_moves_when_the_bar_fills(qtbot, kiosk) -> None:
    keyboard = shown(kiosk, "zh-Hant", "message")
    field = editor(kiosk, "message")

    def where() -> tuple[QRect, QRect, QPoint]:
        window = kiosk.window
        return (QRect(keyboard.mapTo(window, QPoint(0, 0)), keyboard.size()),
                QRect(field.mapTo(window, QPoint(0, 0)), field.size()),
                button(kiosk, "key:q").mapTo(window, QPoint(0, 0)))

    before = where()
    assert keyboard.height() == LATIN.height
    letters(qtbot, kiosk, "zhongguorenmin")
    assert candidate_buttons(kiosk) and where() == before
    tap(qtbot, kiosk, "key:{mode}")  # Latin letters: the bar's row stays
    assert where() == before


def test_the_form_with_candidates_drawn(qtbot, kiosk, tmp_path) -> None:
    """A picture to look at; and on it nothing is off screen or too small."""
    shown(kiosk, "zh-Hant", "message")
    letters(qtbot, kiosk, "aomen")
    kiosk.window.grab().save(str(tmp_path / "form-pinyin-zh-Hant.png"))
    frame = QRect(QPoint(0, 0), kiosk.window.size())
    for b in kiosk.window.findChildren(QPushButton):
        if b.isVisible():
            box = QRect(b.mapTo(kiosk.window, QPoint(0, 0)), b.size())
            assert frame.contains(box), b.objectName()
            assert b.width() >= 60 and b.height() >= 60, b.objectName()
    shown_letters = kiosk.window.findChild(QLabel, "CandidateLetters")
    assert shown_letters.width() >= shown_letters.minimumSizeHint().width()


# ----- what each kind of field gets -------------------------------------------------------


@pytest.mark.parametrize(("lang", "field", "zh"), [
    ("zh-Hant", "message", True), ("zh-Hant", "name", False), ("zh-Hant", "email", False),
    ("pt", "message", False), ("en", "message", False)])
def test_which_fields_open_in_pinyin(qtbot, kiosk, lang, field, zh) -> None:
    keyboard = shown(kiosk, lang, field)
    assert keyboard.zh is zh
    # No Chinese in an e-mail address: not even the key (its place stays empty).
    assert (button(kiosk, "key:{mode}") is None) is (field == "email")


def test_the_citizens_choice_holds_for_that_kind_of_field(qtbot, kiosk) -> None:
    keyboard = shown(kiosk, "zh-Hant", "message")
    tap(qtbot, kiosk, "key:{mode}")
    assert not keyboard.zh
    qtbot_click(editor(kiosk, "name"))
    qtbot_click(editor(kiosk, "message"))
    assert not keyboard.zh


def test_a_newline_key_in_multiline_fields_only(qtbot, kiosk) -> None:
    shown(kiosk, "pt", "message")
    tap(qtbot, kiosk, "key:{shift}", "key:o", "key:{newline}", "key:i")
    assert text_of(editor(kiosk, "message")) == "O\ni"
    assert button(kiosk, "key:{newline}").text() == t("ui.keyboard.newline", "pt")
    tap(qtbot, kiosk, "key:{page:symbols}", "key:{newline}")
    assert text_of(editor(kiosk, "message")).endswith("i\n")
    qtbot_click(editor(kiosk, "name"))
    assert button(kiosk, "key:{newline}") is None
    assert button(kiosk, "key:@") is not None  # what e-mail needs, back in its place


def test_the_phone_pad_types_digits_and_plus_only(qtbot, kiosk) -> None:
    shown(kiosk, "zh-Hant", "phone")
    keys = {b.objectName()[4:] for b in kiosk.window.findChildren(QPushButton)
            if b.objectName().startswith("key:") and b.isVisible()}
    assert keys == {*"0123456789", "+", "{back}", "{enter}"}
    typed = {parse(s)[0] for row in PHONE.pages["digits"] for s in row.split(" ")}
    assert {k for k in typed if not function_key(k)} == {*"0123456789", "+"}
    assert kiosk.window.findChild(QWidget, "CandidateBar").isHidden()


def test_latin_text_asked_of_pinyin_mode_goes_through_the_mode_key(qtbot, kiosk) -> None:
    """What the autopilot does with a Latin example in a Chinese session."""
    keyboard = shown(kiosk, "zh-Hant", "message")
    for char in "Rua do Campo, n.º 12":
        taps = keyboard.taps_for(char)
        assert taps is not None, char
        tap(qtbot, kiosk, *taps)
    assert text_of(editor(kiosk, "message")) == "Rua do Campo, n.º 12"
    assert keyboard.taps_for("陳") is None


def test_every_layout_variant_has_no_key_twice_and_the_same_width() -> None:
    for lines in (False, True):
        for zh in (False, True):
            layout = variant(LATIN, lines=lines, zh=zh)
            assert layout.width == LATIN.width and layout.height == LATIN.height
            for page, rows in layout.pages.items():
                keys = [parse(s)[0] for r in rows for s in r.split(" ")]
                assert len(keys) == len(set(keys)), (layout.name, page)
                assert ("{newline}" in keys) is lines


def test_letters_still_composing_are_kept_on_leaving_the_field_or_sending(
        qtbot, kiosk) -> None:
    sent: list[Any] = []
    kiosk.window.acted.connect(lambda action, value: sent.append((action, value)))
    shown(kiosk, "zh-Hant", "message")
    letters(qtbot, kiosk, "aomen")
    assert bar_letters(kiosk) == "aomen"
    qtbot_click(editor(kiosk, "name"))  # to another field before picking
    assert text_of(editor(kiosk, "message")) == "aomen" and bar_letters(kiosk) == ""
    qtbot_click(editor(kiosk, "message"))
    letters(qtbot, kiosk, "ni")
    kiosk.window.screen._submit()  # what Continue does
    assert sent[-1] == ("submit_form", {"name": "", "phone": "", "email": "",
                                        "message": "aomenni"})
