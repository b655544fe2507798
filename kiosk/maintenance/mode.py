"""Maintenance (vendor) mode: the kiosk out of service while a technician works.

As XFS4IoT's VendorMode: the citizen application pauses, its devices are
handed to diagnostics, and the kiosk returns to service only when the
technician leaves, after a self-test. The states::

    in service ──(service switch or hidden gesture)──▶ PIN ──(right PIN)──▶ open
        ▲                                              │ cancel             │ leave: self-test
        │                                              ▼                    ▼
        └──────── self-test passed (or accepted) ◀── (back where it was)   results
    out of service ◀── "keep out of service", or the technician idle ── open

"Out of service" lasts across a restart (a kiosk waiting for a part must not
come back to citizens because the power blinked): it is kept in
``state/maintenance.json``.

Everything here runs on the journey's thread (the UI's main thread); device
tests, PIN checks and the self-test run off it through the host. The journey
itself is untouched while maintenance is on: ``CitizenScreen`` (the host the
journey draws through) holds its views back, and ``Front`` routes the
screen's taps and the devices' events here instead of to the journey.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config.files import write_atomically
from kiosk.journey.host import JourneyHost, Timer
from kiosk.journey.views import View
from kiosk.maintenance.credentials import Attempt

if TYPE_CHECKING:
    from kiosk.identity.frames import Frame
    from kiosk.journey import Journey, SessionReport
    from kiosk.maintenance.pages import Pages

log = logging.getLogger(__name__)

# Where a technician's screens begin; "maint_" screens are the technician's.
HOME = "maint_home"
OUT_OF_SERVICE = "out_of_service"
PIN = "maint_pin"
SELF_TEST = "maint_selftest"


class CitizenScreen:
    """The host the journey draws through: the real one, except that while
    maintenance holds the screen the journey's views and camera frames are
    kept back (the last view is remembered, so nothing is lost)."""

    def __init__(self, host: JourneyHost) -> None:
        self.host = host
        self.held = False
        self.on_attract: Callable[[], None] | None = None  # a pending request waits for it

    def show(self, view: View) -> None:
        if not self.held:
            self.host.show(view)
            if view.screen == "attract" and self.on_attract is not None:
                self.on_attract()

    def preview(self, frame: Frame, overlay: Mapping[str, Any]) -> None:
        if not self.held:
            self.host.preview(frame, overlay)

    def post(self, fn: Callable[[], None]) -> None:
        self.host.post(fn)

    def run_in_background(self, work: Callable[[], Any],
                          done: Callable[[Any, BaseException | None], None]) -> None:
        self.host.run_in_background(work, done)

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Timer:
        return self.host.call_later(seconds, fn)

    def session_ended(self, report: SessionReport) -> None:
        self.host.session_ended(report)


class Maintenance:
    """The mode's states and its entry and exit; the technician's pages
    (devices, counters, settings ...) are ``pages``'."""

    def __init__(self, *, host: JourneyHost, citizen: CitizenScreen, journey: Journey,
                 gate: Any, audit: Any, pages: Pages, state_file: Path,
                 idle_s: float = 300.0, lang: str | None = None) -> None:
        self.host = host
        self.citizen = citizen
        self.journey = journey
        self.gate = gate
        self.audit = audit
        self.pages = pages
        self.state_file = Path(state_file)
        self.idle_s = idle_s
        self.lang = lang or journey.default_lang
        self.state = "in_service"  # in_service | pin | open | out_of_service
        self.technician: str | None = None
        self.role = ""
        self.pending: str | None = None  # a switch turned during a citizen's session
        self._pin_from = "in_service"
        self._idle: Timer | None = None
        self._epoch = 0  # bumped on every state change: late results are dropped
        pages.attach(self)
        citizen.on_attract = self._attract_shown
        if self._kept_out_of_service():
            self._out_of_service()

    @property
    def active(self) -> bool:
        """The screen is maintenance's (out of service included)."""
        return self.state != "in_service"

    # ----- entering --------------------------------------------------------------

    def request(self, source: str) -> None:
        """The service switch was turned or the hidden gesture made. A citizen
        being served is never cut off: the request waits for the session's end."""
        if self.state in ("pin", "open"):
            return
        if self.state == "in_service" and (self.journey.session is not None
                                           or self.journey.reminder.active):
            self.pending = source
            log.info("maintenance requested (%s): after the citizen's session", source)
            return
        self.pending = None
        self._pin_from = self.state
        self._enter("pin")
        self.citizen.held = True
        self._show(PIN, {"state": "enter"})
        self._arm_idle()

    def _attract_shown(self) -> None:
        if self.pending is not None and self.state == "in_service":
            self.request(self.pending)

    def _check_pin(self, pin: str) -> None:
        epoch = self._epoch
        self._show(PIN, {"state": "checking"})

        def done(attempt: Attempt | None, error: BaseException | None) -> None:
            if epoch != self._epoch:
                return
            if error is not None or attempt is None:
                log.error("PIN check failed: %s", type(error).__name__)
                self._show(PIN, {"state": "error"})
            elif attempt.ok:
                self._open(str(attempt.technician))
            elif attempt.locked_for_s > 0:
                self.audit.append("system", "maintenance.denied", locked=True)
                self._show(PIN, {"state": "locked",
                                 "minutes": max(1, round(attempt.locked_for_s / 60))})
            else:
                self.audit.append("system", "maintenance.denied", locked=False)
                self._show(PIN, {"state": "wrong", "failures_left": attempt.failures_left})

        self.host.run_in_background(lambda: self.gate.try_pin(pin), done)

    def _open(self, technician: str) -> None:
        self.technician = technician
        self.role = self.pages.role_of(technician)
        self._enter("open")
        self.audit.append(self.actor, "maintenance.enter", source=self._pin_from, role=self.role)
        log.info("maintenance entered by a %s", self.role)
        self._keep_out_of_service(True)
        self.pages.home()

    # ----- leaving ---------------------------------------------------------------

    def leave(self) -> None:
        """Self-test, then back to service if it passed; the results otherwise."""
        epoch = self._enter("open")  # a new epoch: what was running is dropped
        self.pages.stop()
        self._show(SELF_TEST, {"running": True, "results": []})

        def done(results: Any, error: BaseException | None) -> None:
            if epoch != self._epoch:
                return
            rows = [] if error is not None else [d.as_dict(self.lang) for d in results]
            passed = error is None and all(r["passed"] for r in rows)
            if passed:
                self.resume(self_test="passed")
            else:
                self._show(SELF_TEST, {"running": False, "results": rows, "passed": False})

        self.host.run_in_background(self.pages.self_test, done)

    def resume(self, self_test: str = "accepted") -> None:
        """Back to service (after a self-test that passed, or one whose faults
        the technician accepted: the catalog greys out what the faults stop)."""
        restart = self.pages.restart_pending
        self.audit.append(self.actor, "maintenance.leave", self_test=self_test,
                          restart=restart)
        log.info("maintenance left (self-test %s)", self_test)
        self._keep_out_of_service(False)
        self._to_service()
        if restart:
            self.pages.restart()

    def lock(self, why: str = "maintenance.lock") -> None:
        """Out of service, the technician gone: only a PIN opens it again."""
        if self.technician is not None:
            self.audit.append(self.actor, why)
        self._keep_out_of_service(True)
        self._out_of_service()

    def _to_service(self) -> None:
        self._enter("in_service")
        self._cancel_idle()
        self.technician, self.role = None, ""
        self.citizen.held = False
        self.journey.start()  # the attract screen, as things now are

    def _out_of_service(self) -> None:
        self.pages.stop()
        self._enter("out_of_service")
        self._cancel_idle()
        self.technician, self.role = None, ""
        self.citizen.held = True
        self._show(OUT_OF_SERVICE, {})

    # ----- routing ---------------------------------------------------------------

    def act(self, action: str, value: Any = None) -> None:
        self.touch()
        if action == "set_lang" and value in self.journey.languages:
            self.lang = str(value)
            self.pages.redraw()
        elif self.state == "pin":
            if action == "maint.pin" and isinstance(value, str):
                self._check_pin(value)
            elif action in ("maint.cancel", "cancel"):
                if self._pin_from == "out_of_service":
                    self._out_of_service()
                else:
                    self._to_service()
        elif self.state == "open":
            if action == "maint.leave":
                self.leave()
            elif action == "maint.resume":
                self.resume()
            elif action == "maint.lock":
                self.lock()
            else:
                self.pages.act(action, value)

    def touch(self) -> None:
        if self.state in ("pin", "open"):
            self._arm_idle()

    def on_device_status(self, name: str, status: Any) -> None:
        if self.state == "open":
            self.pages.device_changed(name)

    # ----- plumbing --------------------------------------------------------------

    @property
    def actor(self) -> str:
        return f"technician:{self.technician}" if self.technician else "system"

    def show(self, screen: str, data: Mapping[str, Any]) -> None:
        """Draw one of maintenance's screens (the pages draw through this)."""
        self._show(screen, data)

    def _show(self, screen: str, data: Mapping[str, Any]) -> None:
        extra = {"technician": self.technician, "role": self.role} if self.technician else {}
        self.host.show(View(screen=screen, lang=self.lang, data={**extra, **data}))

    def run(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None],
            dropped: Callable[[], None] | None = None) -> None:
        """Run ``work`` off the UI thread, then ``done`` on it; if the mode's
        state changed meanwhile, ``dropped`` instead (the answer is stale)."""
        epoch = self._epoch

        def finish(result: Any, error: BaseException | None) -> None:
            if epoch == self._epoch:
                done(result, error)
            elif dropped is not None:
                dropped()

        self.host.run_in_background(work, finish)

    def _enter(self, state: str) -> int:
        self.state = state
        self._epoch += 1
        return self._epoch

    def _arm_idle(self) -> None:
        self._cancel_idle()
        self._idle = self.host.call_later(self.idle_s, self._idle_out)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _idle_out(self) -> None:
        self._idle = None
        if self.state == "open":
            self.lock("maintenance.timeout")
        elif self.state == "pin":
            # A PIN screen nobody answers goes back where it came from.
            self.act("maint.cancel")

    def _kept_out_of_service(self) -> bool:
        try:
            return bool(json.loads(self.state_file.read_text("utf-8")).get("out_of_service"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError, AttributeError):
            return True  # a damaged record keeps the kiosk out of service, never in

    def _keep_out_of_service(self, out: bool) -> None:
        # Durably: the point is that a power cut does not put the kiosk back in service.
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_file, json.dumps({"out_of_service": out}).encode())


class Front:
    """What the screen's taps and the devices' events reach: the citizen's
    journey, or maintenance while it holds the screen. ``maintenance`` taps
    (the hidden gesture, the service switch) always reach maintenance."""

    def __init__(self, journey: Journey, maintenance: Maintenance) -> None:
        self.journey = journey
        self.maintenance = maintenance

    def act(self, action: str, value: Any = None) -> None:
        if action == "maintenance":
            self.maintenance.request(str(value or "switch"))
        elif self.maintenance.active:
            self.maintenance.act(action, value)
        else:
            self.journey.act(action, value)

    def touch(self) -> None:
        if self.maintenance.active:
            self.maintenance.touch()
        else:
            self.journey.touch()

    def on_device_status(self, name: str, status: Any) -> None:
        if self.maintenance.active:
            self.maintenance.on_device_status(name, status)
        else:
            self.journey.on_device_status(name, status)
