""""Take your card" / "take your printout": the reminder after a session ends.

A citizen who turns away with the service done leaves the ID card in the
reader or the printout in the exit slot, and the next person finds it. When a
session ends with either left behind, the journey shows a reminder and sounds a
chime every ``EVERY_S`` until both are taken; after ``SOUNDS`` chimes it falls
silent (the screen stays) and logs once for the field staff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from kiosk.devices.base import Device
from kiosk.devices.status import Media
from kiosk.journey.host import JourneyHost, Timer

log = logging.getLogger(__name__)

EVERY_S = 8.0
SOUNDS = 15  # two minutes of reminding


def left_behind(devices: Mapping[str, Device]) -> tuple[str, ...]:
    """What the citizen left: ``"card"`` still in the reader, ``"printout"`` still
    in the exit slot (printers without a presenter sensor never say so)."""
    items: list[str] = []
    reader = devices.get("card_reader")
    if reader is not None and getattr(reader.status, "media", None) is Media.PRESENT:
        items.append("card")
    printer = devices.get("printer")
    if printer is not None and getattr(printer.status, "printout_waiting", False):
        items.append("printout")
    return tuple(items)


class Reminder:
    """Sounds the reminder while something is left behind; the journey shows it."""

    def __init__(self, host: JourneyHost, devices: Mapping[str, Device]) -> None:
        self.host = host
        self.devices = devices
        self.items: tuple[str, ...] = ()
        self._timer: Timer | None = None
        self._sounded = 0

    @property
    def active(self) -> bool:
        return bool(self.items)

    def start(self) -> bool:
        """Begin reminding if anything is left; True when it is."""
        self.cancel()
        self.items = left_behind(self.devices)
        if self.items:
            self._sounded = 0
            self._sound()
        return self.active

    def check(self, changed: Callable[[], None], cleared: Callable[[], None]) -> None:
        """A device changed: ``cleared()`` once everything is taken, ``changed()``
        when one of two things was."""
        items = left_behind(self.devices)
        if items == self.items:
            return
        self.items = items
        if items:
            changed()
        else:
            self.cancel()
            cleared()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.items = ()

    def _sound(self) -> None:
        self._timer = None
        speaker = self.devices.get("speaker")
        chime = getattr(speaker, "chime", None)
        if callable(chime):
            try:
                chime("reminder")
            except Exception:  # a broken speaker must not stop the reminder on screen
                log.exception("reminder chime failed")
        self._sounded += 1
        if self._sounded < SOUNDS:
            self._timer = self.host.call_later(EVERY_S, self._sound)
        else:
            log.warning("left behind after the session for %.0f s: %s (staff: please collect)",
                        EVERY_S * SOUNDS, ", ".join(self.items))
