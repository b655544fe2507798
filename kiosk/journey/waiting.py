"""A progress screen for every wait over half a second, by construction.

Steps show their own progress message before slow work; a step that forgets
(or a wait that begins on a screen with buttons) still never leaves the
citizen looking at a screen that seems frozen: ``WaitWatch`` shows the
progress screen once the wait passes ``PROGRESS_AFTER_S`` and, should the
step draw nothing new when the work is done, puts the screen back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.journey.context import StepEntry
from kiosk.journey.host import Timer

if TYPE_CHECKING:
    from kiosk.journey.machine import Journey

# Screens that already say "please wait" (the face screen shows its live preview).
WAIT_SCREENS = ("progress", "face")
PROGRESS_AFTER_S = 0.5


class WaitWatch:
    """Shows the progress screen if a wait outlasts ``PROGRESS_AFTER_S``."""

    def __init__(self, journey: Journey, ctx: StepEntry) -> None:
        self.journey = journey
        self.ctx = ctx
        self.before = journey._screen
        self.shown = False
        self.timer: Timer | None = journey.host.call_later(PROGRESS_AFTER_S, self._show)

    def _show(self) -> None:
        self.timer = None
        if self.ctx.live and self.journey._screen is self.before:
            self.shown = True
            self.journey._show("progress", {"message": "wait.loading"})

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def restore(self) -> None:
        if self.shown:
            self.journey._screen = self.before
            self.journey._rerender()
