"""The Qt binding itself, for what would crash a kiosk that runs for months."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_do_not_leak_references_to_none(qapp) -> None:
    """PySide6 6.12.0 on CPython 3.11 took a reference to None away on every
    void call (setText, update ...): after a few thousand, CPython aborts. The
    kiosk makes that many calls in minutes, so the binding is pinned below 6.12;
    this catches a binding with the same fault."""
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.setWordWrap(True)
        label.update()
    # A few references may come or go with what else runs; 6,000 calls leaked 6,000.
    assert abs(sys.getrefcount(None) - before) < 100
