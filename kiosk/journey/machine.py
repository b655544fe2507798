"""The journey state machine: attract → language → catalog → a service's steps → attract.

Runs on one thread (the UI's main thread in the app). Work off that thread
(device reads, backend calls, face decisions) goes through the host and comes
back as callbacks; a callback that arrives after its step was left is dropped,
so a slow reply can never act on a session that has ended.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kiosk.api.errors import GatewayError
from kiosk.config import SessionConfig
from kiosk.devices.base import Device, DeviceError
from kiosk.devices.status import CardReaderStatus, DeviceStatus, Media
from kiosk.identity.card import CardDataError
from kiosk.identity.face import FaceVerifier
from kiosk.identity.verify import TrustStore
from kiosk.journey.access import CHOICES, adjusted
from kiosk.journey.context import StepEntry
from kiosk.journey.host import JourneyHost, Timer
from kiosk.journey.reminders import Reminder
from kiosk.journey.views import Access, SessionReport, View
from kiosk.journey.waiting import WAIT_SCREENS, WaitWatch
from kiosk.offline.kept_prints import KeptPrints
from kiosk.offline.outbox import Outbox
from kiosk.services.availability import Availability, availability
from kiosk.services.contract import Service, Step
from kiosk.services.errors import message_for
from kiosk.session import Session

log = logging.getLogger(__name__)


class Journey:
    def __init__(self, *, host: JourneyHost, services: Sequence[Service],
                 devices: Mapping[str, Device], gateway: Any, face_verifier: FaceVerifier,
                 kept_prints: KeptPrints, trust: TrustStore, terminal_id: str,
                 outbox: Outbox | None = None,
                 languages: Sequence[str], default_lang: str,
                 timeouts: SessionConfig, hours: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self.host = host
        self.services = {s.id: s for s in services}
        self.devices = devices
        self.gateway = gateway
        self.face_verifier = face_verifier
        self.kept_prints = kept_prints
        self.outbox = outbox
        self.trust = trust
        self.terminal_id = terminal_id
        self.languages = tuple(languages)
        self.default_lang = default_lang
        self.timeouts = timeouts
        self.backend_online = True
        self.departments_down: frozenset[str] = frozenset()
        # Opening hours by service or department id (config services.hours).
        self.hours: Mapping[str, str] = hours or {}
        self.clock = clock
        self.session: Session | None = None
        self.service: Service | None = None
        self.epoch = 0
        self._step_index = -1
        self._ctx: StepEntry | None = None
        self._screen = ("attract", {})
        self._idle_timer: Timer | None = None
        self._idle_left: int | None = None
        self._busy = 0
        self._waits: dict[str, float] = {}
        self._completed = False
        self.access = Access()
        self.reminder = Reminder(host, devices)

    # ----- what the host calls -------------------------------------------------

    def start(self) -> None:
        self._show("attract", {})

    @property
    def lang(self) -> str:
        return self.session.lang if self.session else self.default_lang

    @property
    def step(self) -> Step | None:
        if self.service and 0 <= self._step_index < len(self.service.steps):
            return self.service.steps[self._step_index]
        return None

    def catalog(self) -> list[tuple[Service, Availability]]:
        statuses = {name: d.status for name, d in self.devices.items()}
        now = self.clock()
        return [(s, availability(s, statuses, self.backend_online, now=now, hours=self.hours,
                                 departments_down=self.departments_down))
                for s in self.services.values()]

    def touch(self) -> None:
        """The citizen touched the screen: restart the idle countdown."""
        if self.session is not None and self._idle_left is None:
            self._arm_idle()

    def act(self, action: str, value: Any = None) -> None:
        """A tap on something the current view offers."""
        log.debug("action %s", action)
        if action == "access" and value in CHOICES:
            # On every screen, in a session or not (a citizen who cannot read
            # the attract screen must be able to ask for it large, or read aloud).
            self.access = adjusted(self.access, str(value))
            self.touch()
            self._rerender()
            return
        if self.session is None:
            if action == "start" and self._screen[0] == "attract":
                self._begin()
            elif action == "set_lang" and value in self.languages:
                self.default_lang = value
                self._rerender()
            return
        self.touch()
        if action == "more_time":
            self._idle_left = None
            self._arm_idle()
            self._rerender()
        elif action == "set_lang" and value in self.languages:
            self.session.lang = value
            self._rerender()
        elif action == "choose_lang" and value in self.languages:
            self.session.lang = value
            self._show("catalog", {})
        elif action == "cancel":
            # Leaving after the service did its work is not a cancellation.
            self.end("completed" if self._completed else "cancelled")
        elif action == "home":
            self._leave_service()
            self._show("catalog", {})
        elif action == "service" and self._screen[0] == "catalog":
            self._open_service(str(value))
        elif action == "department" and self._screen[0] == "catalog":
            self._show("catalog", {"department": str(value)})
        elif action == "retry" and self._screen[0] == "error" and self.step is not None:
            self._enter_step()
        elif action == "finish":
            self.end("completed" if self._completed else "cancelled")
        elif self._ctx is not None and self.step is not None:
            self.step.on_action(self._ctx, action, value)

    def on_device_status(self, name: str, status: DeviceStatus) -> None:
        if name == "card_reader" and isinstance(status, CardReaderStatus):
            self._on_card(status.media)
        if self._ctx is not None and self.step is not None:
            self.step.on_device(self._ctx, name, status)
        if self._screen[0] in ("catalog", "attract"):
            self._rerender()
        if self._screen[0] == "reminder":
            self.reminder.check(lambda: self._show("reminder", {"items": self.reminder.items}),
                                self._to_attract)

    def set_backend_online(self, online: bool,
                           departments_down: frozenset[str] | None = None) -> None:
        """The gateway's health, and which departments behind it are down."""
        down = self.departments_down if departments_down is None else departments_down
        if online != self.backend_online or down != self.departments_down:
            self.backend_online = online
            self.departments_down = down
            if self._screen[0] == "catalog":
                self._rerender()

    def end(self, outcome: str) -> None:
        """End the session: leave the step, wipe everything personal, back to attract."""
        if self.session is None:
            return
        self._leave_service()
        self._cancel_idle()
        session = self.session
        report = SessionReport(session.session_id, session.service_id, outcome,
                               dict(self._waits))
        session.wipe()
        self.session = None
        self._waits = {}
        log.info("session %s ended: %s %s", report.session_id, report.service_id, outcome)
        if self.reminder.start():
            # The citizen's accessibility choices last until the reminder is
            # heeded: one who listens must hear "take your card" too.
            self._show("reminder", {"items": self.reminder.items})
        else:
            self._to_attract()
        self.host.session_ended(report)

    def _to_attract(self, notice: str | None = None) -> None:
        self.access = Access()  # the next citizen starts from the defaults
        self._show("attract", {"notice": notice} if notice else {})

    # ----- sessions and services -------------------------------------------------

    def _begin(self) -> None:
        self.session = Session(lang=self.default_lang)
        self._completed = False
        log.info("session %s started", self.session.session_id)
        self._arm_idle()
        self._show("language", {"languages": self.languages})

    def _open_service(self, service_id: str) -> None:
        service = self.services.get(service_id)
        if service is None:
            return
        found = dict((s.id, a) for s, a in self.catalog())[service_id]
        if not found.available:
            self._show("catalog", {"refused": found.reason})
            return
        assert self.session is not None
        self.service = service
        self.session.service_id = service.id
        self._completed = False
        self._step_index = 0
        self._enter_step()

    def _leave_service(self) -> None:
        step, ctx = self.step, self._ctx
        self.epoch += 1  # every pending callback of the old step is now stale
        self._ctx = None
        if step is not None and ctx is not None:
            try:
                step.leave(ctx)
            except Exception:
                log.exception("step %s failed to leave cleanly", step.id)
        self.service = None
        self._step_index = -1
        self._busy = 0

    def _enter_step(self) -> None:
        step = self.step
        assert step is not None
        old = self._ctx
        if old is not None:
            self._safe(lambda: step.leave(old))
        self.epoch += 1
        self._busy = 0
        ctx = self._ctx = StepEntry(self, self.epoch)
        log.info("step %s", step.id)
        self._safe(lambda: step.enter(ctx))

    def _next_step(self) -> None:
        assert self.service is not None
        step, ctx = self.step, self._ctx
        if step is not None and ctx is not None:
            self._safe(lambda: step.leave(ctx))
        self._ctx = None
        self._step_index += 1
        if self._step_index >= len(self.service.steps):
            self.end("completed" if self._completed else "failed")
            return
        self._enter_step()

    def _fail(self, message: str, retry: bool, values: Mapping[str, Any]) -> None:
        step, ctx = self.step, self._ctx
        log.info("step %s failed: %s", step.id if step else "-", message)
        if step is not None and ctx is not None:
            self._safe(lambda: step.leave(ctx))
        self.epoch += 1  # stale the failed step's callbacks; retry re-enters it fresh
        self._ctx = None
        self._busy = 0
        self._show("error", {"message": message, "retry": retry, **values})

    def _safe(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as e:
            log.exception("step raised")
            self._fail(message_for(e), True, {})

    def _on_card(self, media: Media) -> None:
        if self.session is None and media is Media.PRESENT and self._screen[0] == "attract":
            self._begin()  # inserting the card wakes the kiosk
        elif self.session is not None and media is Media.ABSENT:
            if self._completed:
                self.end("completed")
            elif self.session.card is not None:
                # Card pulled mid-service: nothing personal may stay behind.
                self.end("card_removed")
                if not self.reminder.active:  # a printout left behind is said first
                    self._to_attract("card.removed")

    # ----- work off the thread -------------------------------------------------

    def _run(self, ctx: StepEntry, work: Callable[[], Any], on_done: Callable[[Any], None],
             wait: str, on_error: Callable[[BaseException], None] | None,
             citizen_acts: bool = False) -> None:
        if not ctx.live:
            return
        started = time.monotonic()
        busy = 0 if citizen_acts else 1
        self._busy += busy
        if busy:
            self._cancel_idle()  # the citizen is waiting on us: no idle countdown
        watch = self._watch_wait(ctx) if busy else None

        def done(result: Any, error: BaseException | None) -> None:
            if watch is not None:
                watch.cancel()
            if not ctx.live:
                wipe = getattr(result, "wipe", None)
                if callable(wipe):
                    wipe()  # a late card read must not outlive its session
                return
            self._waits[wait] = self._waits.get(wait, 0.0) + time.monotonic() - started
            self._busy -= busy
            if busy and self._busy == 0:
                self._arm_idle()
            if error is None:
                self._safe(lambda: on_done(result))
            elif on_error is not None:
                self._safe(lambda: on_error(error))
            else:
                # Device, gateway and card errors carry codes and technical
                # details, never personal data: worth having in the log.
                known = isinstance(error, DeviceError | GatewayError | CardDataError)
                log.info("%s failed: %s %s", wait, error.__class__.__name__,
                         error if known else "")
                ctx.fail(message_for(error), retry=True)
            if watch is not None and self._screen[0] == "progress" and ctx.live:
                watch.restore()  # the step drew nothing new: back to what it showed

        self.host.run_in_background(work, done)

    def _watch_wait(self, ctx: StepEntry) -> WaitWatch | None:
        """A wait that began on a screen that does not say the kiosk is working:
        after ``PROGRESS_AFTER_S`` the citizen sees the progress screen, never a
        screen that seems frozen."""
        if self._screen[0] in WAIT_SCREENS:
            return None
        return WaitWatch(self, ctx)

    # ----- idle ----------------------------------------------------------------

    def _arm_idle(self) -> None:
        self._cancel_idle()
        if self.session is None or self._busy:
            return
        if self._completed:
            # Done: nothing left to lose, so no "more time?" warning; the session
            # ends after the final screen's time even if the citizen walked off.
            self._idle_timer = self.host.call_later(self.timeouts.done_screen_s,
                                                    lambda: self.end("completed"))
        else:
            self._idle_timer = self.host.call_later(self.timeouts.idle_timeout_s,
                                                    self._idle_warn)

    def _cancel_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_warn(self) -> None:
        self._idle_left = int(self.timeouts.idle_warning_s)
        self._rerender()
        self._idle_timer = self.host.call_later(1.0, self._idle_tick)

    def _idle_tick(self) -> None:
        assert self._idle_left is not None
        self._idle_left -= 1
        if self._idle_left <= 0:
            self._idle_left = None
            self.end("timeout")
            return
        self._rerender()
        self._idle_timer = self.host.call_later(1.0, self._idle_tick)

    # ----- drawing -------------------------------------------------------------

    def _show(self, screen: str, data: Mapping[str, Any]) -> None:
        self._screen = (screen, dict(data))
        self._rerender()

    def _rerender(self) -> None:
        screen, data = self._screen
        if screen == "catalog":
            data = {**data, "catalog": self.catalog()}
        service = self.service
        self.host.show(View(
            screen=screen, lang=self.lang, data=data,
            service_id=service.id if service else None,
            step_id=self.step.id if self.step else None,
            step=self._step_index + 1 if service else 0,
            steps=len(service.steps) if service else 0,
            idle_seconds_left=self._idle_left,
            access=self.access,
        ))
