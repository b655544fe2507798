"""A scripted citizen that uses the real UI, tapping as a person would.

It watches which screen is shown, taps what a citizen would tap (by the
buttons' object names), photographs every screen it passes through and keeps
every document printed. It is a tool (``kiosk demo --autopilot``), used by the
tests, the soak run and anyone who wants to see a service end to end.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from kiosk.journey import SessionReport, View
from kiosk.ui.run import Kiosk
from kiosk.ui.screens_forms import FormScreen

PREFERRED_CARD = "C0000001"
_DONE = object()
PHONE_POLL_MS = 250  # how often the citizen looks at their phone for the SMS
# Between two keys typed: longer than a StallMonitor's 5 ms period, so each key
# is its own turn of the event loop there too (and no slower than tap_delay_s).
KEY_DELAY_MS = 20


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
                 tap_delay_s: float = 0.4, timeout_s: float = 180.0,
                 screenshots: bool = True, exit_app: bool = True) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.service_id = service_id
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.lang = lang
        self.card = card
        self.printed_dir = printed_dir
        self.tap_delay_ms = int(tap_delay_s * 1000)
        # Off when measuring the kiosk itself: a grab and a PNG of the whole
        # window is the autopilot's work on the UI thread, not the kiosk's.
        self.screenshots = screenshots
        # The CLI's autopilot ends the application when done; a soak runs many.
        self.exit_app = exit_app
        self.result = AutopilotResult(service_id)
        self.finished = False
        self._started = False
        self._last: tuple | None = None
        self._printed_before = self._printed()
        self._face_shot = False
        self._face_name = "face"
        self._forms: dict[str | None, int] = {}  # times each form was submitted
        self._printed_steps: set[str | None] = set()
        self._paying: str | None = None
        self._sms_seen: int | None = None  # SMS on the phone before ours came
        self._codes_typed: set[str | None] = set()  # steps we typed a code on
        kiosk.host.viewed.connect(self._on_view)
        kiosk.host.framed.connect(self._on_frame)
        kiosk.host.ended.connect(self._on_end)
        self._guard = QTimer(self)
        self._guard.setSingleShot(True)
        self._guard.timeout.connect(lambda: self._finish("failed", "timed out"))
        self._guard.start(int(timeout_s * 1000))

    def start(self) -> None:
        phone = self.kiosk.phone
        if phone is not None:  # what is on the phone already is not our code
            self.kiosk.host.run_in_background(
                phone.messages, lambda m, e: setattr(self, "_sms_seen",
                                                     len(m) if e is None and m else 0))
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
            # The service's department tab first, unless it is the one shown.
            "catalog": (f"act:service:{self.service_id}"
                        if view.data.get("department") == self.service_id.split(".")[0]
                        else f"act:department:{self.service_id.split('.')[0]}"),
            "insert_card": f"sim:insert:{self.card}",
            "quantity": "act:confirm",
            "done": "sim:remove",
        }
        if view.screen == "error":
            self.result.reason = str(view.data.get("message"))
            self._tap_later("act:cancel")
            return
        handler = {"form": self._on_form, "otp": self._on_otp, "choose": self._on_choose,
                   "review": self._on_review, "payment": self._on_payment,
                   "result": self._on_result, "kept": self._on_kept}.get(view.screen)
        if handler is not None:
            handler(view)
            return
        target = plan.get(view.screen)
        if view.screen == "attract":
            self._started = True
        if target:
            self._tap_later(target)

    # ----- the screens of docs/screens.md ------------------------------------------------

    def _on_form(self, view: View) -> None:
        refused = [str(f["name"]) for f in view.data.get("fields", []) if f.get("error")]
        if refused and self._forms.get(view.step_id):
            self._finish("failed", f"form refused: {', '.join(refused)}")
            return
        self._forms[view.step_id] = self._forms.get(view.step_id, 0) + 1
        QTimer.singleShot(self.tap_delay_ms, lambda: self._fill_form(view))

    def _fill_form(self, view: View) -> None:
        self._type_on(self._type_form(view))

    def _type_on(self, typing: Iterator[None]) -> None:
        """One tap per turn of the event loop, as a person taps: a whole form
        typed in one turn would stall the loop as no citizen ever can."""
        if self.finished:
            return
        with self.kiosk.host.section("autopilot:type"):
            more = next(typing, _DONE) is not _DONE
        if more:
            QTimer.singleShot(min(KEY_DELAY_MS, self.tap_delay_ms),
                              lambda: self._type_on(typing))

    def _type_form(self, view: View) -> Iterator[None]:
        """Fill each required field that is empty with its example, on the
        on-screen keyboard as a citizen types, then send the form."""
        screen = self.kiosk.window.screen
        if self.finished or not isinstance(screen, FormScreen):
            return
        for f in view.data.get("fields", []):
            name = str(f["name"])
            if not f.get("required", True) or screen.values.get(name):
                continue
            if f.get("kind") == "choice":
                options = f.get("options") or []
                if options:
                    self._tap(f"opt:{name}:{options[0]['value']}")
                    yield
                continue
            editor = screen.editors.get(name)
            if editor is None:
                continue
            QTest.mouseClick(editor, Qt.MouseButton.LeftButton)  # this field, please
            yield
            for char in str(f.get("example") or ""):
                if self.kiosk.window.screen is not screen:
                    self._finish("failed", "the form went away while typing")
                    return
                taps = screen.keyboard.taps_for(char)
                if taps is None:  # no key for it (a Chinese example): typed in as is
                    screen._typed(char)
                    yield
                for key in taps or []:
                    self._tap(key)
                    yield
        self._shoot(f"{view.step_id}-form-filled" if view.step_id else "form-filled")
        self._tap("act:submit_form")

    def _on_otp(self, view: View) -> None:
        if view.data.get("error") and view.step_id in self._codes_typed:
            self._finish("failed", f"code refused: {view.data['error']}")
            return
        if self.kiosk.phone is None:
            self._finish("failed", "no demo phone to read the code from")
            return
        self._look_at_phone()

    def _look_at_phone(self) -> None:
        phone = self.kiosk.phone
        if self.finished or phone is None:
            return
        self.kiosk.host.run_in_background(phone.messages, self._read_sms)

    def _read_sms(self, messages: Any, error: BaseException | None) -> None:
        shown = self.kiosk.window.view
        if self.finished or shown is None or shown.screen != "otp":
            return
        seen = self._sms_seen or 0
        fresh = [m for m in (messages or [])[seen:] if m.get("code")] if error is None else []
        if not fresh:
            QTimer.singleShot(PHONE_POLL_MS, self._look_at_phone)
            return
        self._sms_seen = len(messages)
        self._codes_typed.add(shown.step_id)
        self._type_on(self._type_code(str(fresh[-1]["code"])))

    def _type_code(self, code: str) -> Iterator[None]:
        for digit in code:
            self._tap(f"key:{digit}")
            yield

    def _on_choose(self, view: View) -> None:
        d = view.data
        usable = [o["value"] for o in d.get("options", []) if not o.get("disabled")]
        if not usable:
            self._finish("failed", "nothing to choose")
        elif not d.get("multi"):
            self._tap_later(f"act:pick:{usable[0]}")
        elif not d.get("selected"):
            self._tap_later(f"act:toggle:{usable[0]}")
        else:
            self._tap_later("act:confirm")

    def _on_review(self, view: View) -> None:
        self._tap_later("act:confirm")

    def _on_payment(self, view: View) -> None:
        payment = str(view.data.get("payment_id"))
        if view.data.get("status", "pending") != "pending" or self._paying == payment:
            return  # paid with the wallet: the step moves on when the gateway says so
        self._paying = payment
        self._tap_later("sim:pay")

    def _on_result(self, view: View) -> None:
        if view.data.get("can_print") and view.step_id not in self._printed_steps:
            self._printed_steps.add(view.step_id)
            self._tap_later("act:print")
        else:
            self._tap_later("act:finish")

    def _on_kept(self, view: View) -> None:
        self._tap_later("act:print_kept")

    def _on_frame(self) -> None:
        if not self._face_shot and not self.finished:
            self._face_shot = True
            self._shoot(self._face_name)

    def _tap_later(self, name: str) -> None:
        QTimer.singleShot(self.tap_delay_ms, lambda: self._tap_named(name))

    def _tap_named(self, name: str) -> None:
        with self.kiosk.host.section("autopilot:tap"):
            self._tap(name)

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
        if self.screenshots:
            with self.kiosk.host.section("autopilot:screenshot"):
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
        # Its lambda holds the pilot, its timer is the pilot's child: a cycle
        # through C++ that Python's collector cannot see (a soak leaked pilots).
        self._guard.timeout.disconnect()
        self.result.outcome = outcome
        self.result.reason = None if outcome == "completed" else reason
        for path in sorted(self._printed() - self._printed_before):
            shutil.copy2(path, self.out / path.name)
            self.result.documents.append(path.name)
        # Let go of the kiosk: a soak's thousand pilots must not stay connected.
        host = self.kiosk.host
        for signal, slot in ((host.viewed, self._on_view), (host.framed, self._on_frame),
                             (host.ended, self._on_end)):
            signal.disconnect(slot)
        if not self.exit_app:
            return
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            app.exit(0 if outcome == "completed" else 1)
