"""A scripted citizen that uses the real UI, tapping as a person would.

It watches which screen is shown, taps what a citizen would tap (by the
buttons' object names), photographs every screen it passes through and keeps
every document printed. It is a tool (``kiosk demo --autopilot``), used by the
tests, the soak run and anyone who wants to see a service end to end.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from kiosk.journey import SessionReport, View
from kiosk.ui.run import Kiosk

PREFERRED_CARD = "C0000001"


@dataclass
class AutopilotResult:
    service: str
    outcome: str = "failed"
    screens: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    wait_s: dict[str, float] = field(default_factory=dict)
    total_wait_s: float = 0.0
    # Why it failed, for whoever reads the JSON (never personal data).
    reason: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class Autopilot(QObject):
    def __init__(self, kiosk: Kiosk, service_id: str, out_dir: Path, *, lang: str = "zh-Hant",
                 card: str = PREFERRED_CARD, printed_dir: Path | None = None,
                 tap_delay_s: float = 0.4, timeout_s: float = 180.0) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.service_id = service_id
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.lang = lang
        self.card = card
        self.printed_dir = printed_dir
        self.tap_delay_ms = int(tap_delay_s * 1000)
        self.result = AutopilotResult(service_id)
        self.finished = False
        self._started = False
        self._last: tuple | None = None
        self._printed_before = self._printed()
        self._face_shot = False
        self._face_name = "face"
        kiosk.host.viewed.connect(self._on_view)
        kiosk.host.framed.connect(self._on_frame)
        kiosk.host.ended.connect(self._on_end)
        self._guard = QTimer(self)
        self._guard.setSingleShot(True)
        self._guard.timeout.connect(lambda: self._finish("failed", "timed out"))
        self._guard.start(int(timeout_s * 1000))

    def start(self) -> None:
        self.kiosk.journey.start()

    # ----- what the citizen sees, and does --------------------------------------

    def _on_view(self, view: View) -> None:
        if self.finished:
            return
        key = (view.screen, view.lang, repr(view.data), view.step)
        if key == self._last:
            return  # the same screen redrawn (an idle countdown tick)
        self._last = key
        shot = f"{view.step_id}-{view.screen}" if view.step_id else view.screen
        if view.screen != "face":
            self._shoot(shot)
        else:
            self._face_shot = False  # photographed on its first camera frame
            self._face_name = shot
        plan = {
            "attract": None if self._started else "act:start",
            "language": f"act:choose_lang:{self.lang}",
            "catalog": f"act:service:{self.service_id}",
            "insert_card": f"sim:insert:{self.card}",
            "quantity": "act:confirm",
            "done": "sim:remove",
        }
        if view.screen == "error":
            self.result.reason = str(view.data.get("message"))
            self._tap_later("act:cancel")
            return
        target = plan.get(view.screen)
        if view.screen == "attract":
            self._started = True
        if target:
            self._tap_later(target)

    def _on_frame(self) -> None:
        if not self._face_shot and not self.finished:
            self._face_shot = True
            self._shoot(self._face_name)

    def _tap_later(self, name: str) -> None:
        QTimer.singleShot(self.tap_delay_ms, lambda: self._tap(name))

    def _tap(self, name: str) -> None:
        if self.finished:
            return
        button = self.kiosk.window.findChild(QPushButton, name)
        if button is None or not button.isVisible():
            self._finish("failed", f"no button {name} on screen")
            return
        if not button.isEnabled():
            self._finish("failed", f"button {name} is disabled")
            return
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def _on_end(self, report: SessionReport) -> None:
        self.result.wait_s = {k: round(v, 3) for k, v in report.waits.items()}
        self.result.total_wait_s = round(sum(report.waits.values()), 3)
        if report.outcome == "completed" and report.service_id == self.service_id:
            self._finish("completed")
        else:
            self._finish("failed", self.result.reason or report.outcome)

    # ----- evidence --------------------------------------------------------------

    def _shoot(self, screen: str) -> None:
        name = f"{len(self.result.screens) + 1:02d}-{screen}.png"
        self.kiosk.window.grab().save(str(self.out / name))
        self.result.screens.append(name)

    def _printed(self) -> set[Path]:
        if self.printed_dir is None or not self.printed_dir.exists():
            return set()
        return set(self.printed_dir.glob("*.pdf"))

    def _finish(self, outcome: str, reason: str | None = None) -> None:
        if self.finished:
            return
        self.finished = True
        self._guard.stop()
        self.result.outcome = outcome
        self.result.reason = None if outcome == "completed" else reason
        for path in sorted(self._printed() - self._printed_before):
            shutil.copy2(path, self.out / path.name)
            self.result.documents.append(path.name)
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.exit(0 if outcome == "completed" else 1)
