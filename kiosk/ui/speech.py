"""The screen read aloud: what is on it, in reading order, said by the speaker.

Everything a sighted citizen reads is said (ADA 707.5, EN 301 549 closed
functionality): the top bar's service and step, then the screen's texts and
its buttons top to bottom, left to right. A button says its accessible name
where it has one (an icon, a "+" stepper); typed text is not read back, which
keeps a PIN or a code out of the citizen's neighbour's ears even through
headphones left on the hook.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

# Not read: the on-screen keyboard (its keys are letters, not content), and the
# demo's simulation controls (no citizen sees them on a real kiosk).
SILENT_NAMES = ("SimBadge", "SimPanel")
SILENT_CLASSES = ("Keyboard",)
DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


def reading_order(root: QWidget, parts: Iterable[QWidget]) -> list[str]:
    """The visible texts of ``parts`` (and their children), top to bottom and
    left to right as ``root`` shows them; each text once. A button is one
    item: its accessible name, else its text, else its labels' texts."""
    found: list[tuple[int, int, str]] = []

    def walk(widget: QWidget) -> None:
        if (widget.objectName() in SILENT_NAMES or type(widget).__name__ in SILENT_CLASSES
                or not widget.isVisibleTo(root)):
            return
        text = _text_of(widget)
        if text:
            at = widget.mapTo(root, QPoint(0, 0))
            found.append((at.y() // 24, at.x(), text))  # rows of 24 px: a line together
        if isinstance(widget, QAbstractButton):
            return  # its labels are in its text already
        for child in widget.findChildren(QWidget, options=DIRECT):
            walk(child)

    for part in parts:
        walk(part)
    said: list[str] = []
    for _, _, text in sorted(found):
        if text not in said:
            said.append(text)
    return said


def _text_of(widget: QWidget) -> str:
    if isinstance(widget, QAbstractButton):
        own = (widget.accessibleName() or widget.text()).strip()
        if own:
            return own
        labels = sorted(widget.findChildren(QLabel), key=lambda w: (w.y(), w.x()))
        return ", ".join(w.text().strip() for w in labels if w.text().strip())
    if isinstance(widget, QLabel):
        return widget.text().strip()
    return ""


def utterance(texts: Iterable[str], lang: str = "en") -> str:
    """Texts as one utterance: a pause between them (a full stop where none
    is: the Chinese one in Chinese, which the voice reads as a pause too)."""
    stop = "。" if lang.startswith("zh") else "."
    out: list[str] = []
    for text in texts:
        text = " ".join(text.split())
        if text:
            out.append(text if text[-1:] in ".。!！?？:：" else f"{text}{stop}")
    return ("" if lang.startswith("zh") else " ").join(out)


def speak(speaker: Any, text: str, lang: str, volume: int) -> None:
    """Say ``text`` at ``volume`` on ``speaker`` (a kiosk.devices speaker, or None)."""
    if speaker is None:
        return
    speaker.set_volume(volume)
    speaker.say(text, lang)
