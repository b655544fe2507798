"""Emptying a layout frees what it held: its items, its nested layouts and
(for ``clear``) its widgets. ``takeAt`` hands each item to the caller and
PySide never frees it; a soak of a thousand journeys found them by heaptrack."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from kiosk.ui.widgets import clear, take_all


def fill(layout: QVBoxLayout) -> list[QLabel]:
    labels = [QLabel(f"label {n}") for n in range(3)]
    layout.addWidget(labels[0])
    layout.addStretch(1)
    row = QHBoxLayout()
    row.addWidget(labels[1])
    inner = QVBoxLayout()
    inner.addWidget(labels[2])
    row.addLayout(inner)
    layout.addLayout(row)
    return labels


def test_clear_deletes_nested_layouts_and_widgets_however_often_it_runs(qtbot) -> None:
    bar = QWidget()
    qtbot.addWidget(bar)
    layout = QVBoxLayout(bar)
    for _ in range(50):  # the top bar is cleared at every screen
        labels = fill(layout)
        clear(layout)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert layout.count() == 0
        assert not any(shiboken6.isValid(label) for label in labels)
    assert layout.findChildren(QLayout) == []  # not one nested layout left behind
    assert bar.findChildren(QWidget) == []


def test_take_all_hands_back_every_widget_alive_in_order(qtbot) -> None:
    bar = QWidget()
    qtbot.addWidget(bar)
    layout = QVBoxLayout(bar)
    labels = fill(layout)
    taken = take_all(layout)
    assert taken == labels
    assert all(shiboken6.isValid(label) for label in labels)
    assert layout.count() == 0 and layout.findChildren(QLayout) == []
    layout.addWidget(taken[0])  # kept, as the pinyin bar keeps its buttons
    assert layout.count() == 1


def test_only_take_all_takes_items_out_of_a_layout() -> None:
    """A ``takeAt`` elsewhere would leak its item again: the kiosk's UI empties
    layouts through ``take_all`` (or ``clear``) only."""
    from pathlib import Path

    import kiosk.ui

    callers = sorted(path.name for path in Path(kiosk.ui.__file__).parent.glob("*.py")
                     if ".takeAt(" in path.read_text(encoding="utf-8"))
    assert callers == ["widgets.py"]
