"""What a technician may change from the maintenance screen, declared once.

Each ``Setting`` names a dotted key of the config file (as ``save_changes``
takes it), how it is edited (a number stepper, one choice, several choices,
text), its bounds or options, whether the running kiosk applies it at once
(``live``) or needs a restart, and who may change it. The screen is built from
this list, so adding a setting is one entry here plus its texts in
kiosk/i18n/texts/settings.toml (``settings.<key>`` and ``settings.help.<key>``).

The bounds are the stepper's: values a technician can pick at the screen. The
schema checks what any file may hold (``save_changes`` runs it), which is wider
for some keys (a file may set a 15-minute timeout; the screen stops at 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.config.edit import value_at
from kiosk.config.schema import DEVICE_DRIVERS, Config
from kiosk.i18n import LANGUAGES

Kind = Literal["number", "choice", "choices", "text"]


@dataclass(frozen=True)
class Setting:
    key: str  # the config file's dotted key
    kind: Kind
    live: bool  # applied by the running kiosk; False: takes effect at the next start
    minimum: float | None = None  # number: the stepper's bounds and step
    maximum: float | None = None
    step: float | None = None
    # choice/choices: the values offered; None: given at runtime (the installed
    # services, which the config cannot know).
    options: tuple[str, ...] | None = None
    role: str = "technician"  # who may change it (kiosk.maintenance.credentials.PERMITS)

    @property
    def label_key(self) -> str:
        return f"settings.{self.key}"

    @property
    def help_key(self) -> str:
        return f"settings.help.{self.key}"


SETTINGS: tuple[Setting, ...] = (
    Setting("services.enabled", "choices", live=True, options=None),
    Setting("terminal.languages", "choices", live=True, options=LANGUAGES),
    Setting("terminal.default_language", "choice", live=True, options=LANGUAGES),
    Setting("session.idle_timeout_s", "number", live=True, minimum=30, maximum=600, step=10),
    # At least 20 s: WCAG 2.2.1 gives people 20 s to answer a time-out warning.
    Setting("session.idle_warning_s", "number", live=True, minimum=20, maximum=120, step=5),
    Setting("session.done_screen_s", "number", live=True, minimum=5, maximum=120, step=5),
    # The gateway client, the printer and the speaker are opened at start.
    Setting("backend.url", "text", live=False),
    Setting("devices.printer.driver", "choice", live=False,
            options=DEVICE_DRIVERS["printer"]),
    Setting("devices.printer.queue", "text", live=False),
    Setting("devices.speaker.volume", "number", live=False, minimum=0, maximum=100, step=10),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def setting(key: str) -> Setting:
    """The setting of ``key``; KeyError for a key the screen does not offer."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"{key!r} is not a setting a technician may change") from None


def value_of(config: Config, key: str) -> Any:
    """The value of setting ``key`` in effect: the file's, else the default
    (lists as tuples, numbers as the schema keeps them)."""
    return value_at(config, setting(key).key)


def step_value(setting: Setting, value: float, direction: int) -> float | int:
    """The stepper's next value from ``value``, one step up (direction 1) or down
    (-1), on the grid ``minimum + k × step`` and within the bounds. A value off
    the grid (set in the file) goes to the next grid value that way."""
    if setting.kind != "number" or None in (setting.minimum, setting.maximum, setting.step):
        raise ValueError(f"{setting.key} is not a number setting")
    if direction not in (1, -1):
        raise ValueError("direction is 1 (up) or -1 (down)")
    low, high, step = setting.minimum, setting.maximum, setting.step
    assert low is not None and high is not None and step is not None  # checked above
    # Grid positions, with a little slack so 0.1-style float error stays on the grid.
    position = (value - low) / step
    k = math.floor(position + 1e-9) + 1 if direction > 0 else math.ceil(position - 1e-9) - 1
    result = min(max(low + k * step, low), high)
    return int(result) if all(float(x).is_integer() for x in (low, step)) else result
