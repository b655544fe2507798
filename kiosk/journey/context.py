"""The StepContext of one step entry: a step's only window on the kiosk."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.identity.frames import Frame

if TYPE_CHECKING:
    from kiosk.journey.machine import Journey


class StepEntry:
    """The StepContext of one step entry; stale once the journey moves on."""

    def __init__(self, journey: Journey, epoch: int) -> None:
        self._j = journey
        self._epoch = epoch
        self.session = journey.session
        self.devices = journey.devices
        self.gateway = journey.gateway
        self.face_verifier = journey.face_verifier
        self.kept_prints = journey.kept_prints
        self.trust = journey.trust
        self.terminal_id = journey.terminal_id
        self.outbox = journey.outbox
        self.service = journey.service
        self.state: dict[str, Any] = {}

    @property
    def online(self) -> bool:
        """Can the service's department be reached now (as far as the kiosk knows)?"""
        j = self._j
        return j.backend_online and not (self.service is not None
                                         and self.service.department in j.departments_down)

    @property
    def live(self) -> bool:
        return self._j.epoch == self._epoch

    def show(self, screen: str, **view: Any) -> None:
        if self.live:
            self._j._show(screen, view)

    def preview(self, frame: Frame, **overlay: Any) -> None:
        if self.live:
            self._j.host.preview(frame, overlay)

    def post(self, fn: Callable[[], None]) -> None:
        self._j.host.post(lambda: fn() if self.live else None)

    def run(self, work: Callable[[], Any], on_done: Callable[[Any], None], *, wait: str,
            on_error: Callable[[BaseException], None] | None = None,
            citizen_acts: bool = False) -> None:
        self._j._run(self, work, on_done, wait, on_error, citizen_acts)

    def next(self) -> None:
        if self.live:
            self._j._next_step()

    def fail(self, message: str, *, retry: bool = False, **values: Any) -> None:
        if self.live:
            self._j._fail(message, retry, values)

    def complete(self) -> None:
        if self.live:
            self._j._completed = True
            self._j._arm_idle()  # from now on, the short "take your things" timer
