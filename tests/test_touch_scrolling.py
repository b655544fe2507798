"""A finger drags any scroll area of the kiosk, each one grabbing the one flick
gesture registered for the process (QScroller.grabGesture per area leaked
about 3 KB a call in PySide: a soak of a thousand journeys found it)."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from kiosk.ui import screen_base
from kiosk.ui.screen_base import scroller


def test_a_finger_scrolls_every_area_through_one_registered_gesture(qtbot) -> None:
    finger = QTest.createTouchDevice()
    gestures = set()
    for _ in range(3):
        area = scroller(QLabel("\n".join(f"line {n}" for n in range(300))))
        qtbot.addWidget(area)
        area.resize(400, 300)
        area.show()
        qtbot.waitExposed(area)
        gestures.add(screen_base._flick[1])
        viewport = area.viewport()
        QTest.touchEvent(viewport, finger).press(0, QPoint(200, 250)).commit()
        for y in range(250, 40, -15):
            QTest.qWait(10)  # a finger's pace: a flick has a speed
            QTest.touchEvent(viewport, finger).move(0, QPoint(200, y)).commit()
        QTest.touchEvent(viewport, finger).release(0, QPoint(200, 40)).commit()
        bar = area.verticalScrollBar()
        qtbot.waitUntil(lambda bar=bar: bar.value() > 150, timeout=5000)
    assert len(gestures) == 1
