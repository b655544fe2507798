"""Maintenance mode built from a terminal's parts: its gate, audit log,
diagnostics, counters, history, settings and diagnostics bundle.

``build_maintenance`` is what ``kiosk.app.Terminal.maintenance`` is; the UI
calls it with the host and journey it built (kiosk/ui/run.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Config
from kiosk.journey.host import JourneyHost
from kiosk.maintenance import diagnostics
from kiosk.maintenance.counters import CounterFeed, Counters
from kiosk.maintenance.credentials import gate_for
from kiosk.maintenance.history import DeviceHistory
from kiosk.maintenance.mode import CitizenScreen, Maintenance
from kiosk.maintenance.pages import Pages
from kiosk.maintenance.settings_page import SettingsPage
from kiosk.offline.audit import terminal_audit_log

if TYPE_CHECKING:
    from kiosk.journey import Journey

log = logging.getLogger(__name__)

DEFAULT_PAPER_SHEETS = 500


class Watchers:
    """What watches the devices from the start, maintenance or not: counters
    and the status history (a technician wants to know what happened before
    they came). One per terminal; ``close`` unsubscribes."""

    def __init__(self, config: Config, home: Path, devices: Any) -> None:
        sheets = config.device("printer").options.get("sheets", DEFAULT_PAPER_SHEETS)
        self.counters = Counters(home / "state" / "terminal.db",
                                 paper_capacity=int(sheets) if isinstance(sheets, int)
                                 else DEFAULT_PAPER_SHEETS)
        self.feed = CounterFeed(self.counters, devices)
        self.history = DeviceHistory(devices)

    def session_ended(self, report: Any) -> None:
        self.feed.session_ended(report)

    def close(self) -> None:
        self.feed.close()
        self.history.close()


def build_maintenance(terminal: Any, host: JourneyHost, citizen: CitizenScreen,
                      journey: Journey, *, restart: Callable[[], None] | None = None,
                      apply: Callable[[Config], None] | None = None) -> Maintenance:
    """The maintenance mode of ``terminal`` (a ``kiosk.app.Terminal``):
    ``restart`` ends the kiosk so that it starts again (settings that need it),
    ``apply`` puts settings that apply at once into effect (the UI's part)."""
    config: Config = terminal.config
    home: Path = terminal.home
    devices = terminal.devices
    watchers = terminal.watchers()
    trust = getattr(terminal, "trust", None)
    lang = journey.default_lang

    def run_test(name: str) -> diagnostics.Diagnosis:
        return diagnostics.run_test(name, devices[name], config, lang=lang, trust=trust)

    def self_test() -> list[diagnostics.Diagnosis]:
        return diagnostics.self_test(devices, config)

    settings = SettingsPage(terminal.config_path, config, journey, terminal.registry,
                            apply=apply)
    locate = getattr(terminal.face_verifier, "locate", None)
    pages = Pages(devices=devices, drivers={n: config.device(n).driver for n in devices},
                  run_test=run_test, self_test=self_test, role_of=config.maintenance.role_of,
                  counters=watchers.counters, history=watchers.history, settings=settings,
                  export=lambda: export_bundle(terminal, watchers), locate=locate,
                  restart=restart)
    return Maintenance(host=host, citizen=citizen, journey=journey,
                       gate=gate_for(config, home), audit=terminal_audit_log(home),
                       pages=pages, state_file=home / "state" / "maintenance.json",
                       idle_s=config.maintenance.idle_s, lang=lang)


def export_bundle(terminal: Any, watchers: Watchers) -> Path | None:
    """The diagnostics bundle on the first USB stick (or the configured
    directory); None when there is nowhere to write it."""
    from kiosk.maintenance.bundle import usb_targets, write_bundle

    config: Config = terminal.config
    targets = usb_targets(config.maintenance.export_dir)
    if not targets:
        return None
    history = {name: [{"at": c.at.isoformat(), "state": c.state, "reason": c.reason}
                      for c in watchers.history.of(name)] for name in terminal.devices}
    extra = {"counters": watchers.counters.snapshot(),
             "consumables": [{"name": c.name, "used": c.used, "capacity": c.capacity}
                             for c in watchers.counters.consumables()],
             "device_history": history}
    return write_bundle(config, terminal.home, targets[0], devices=terminal.devices,
                        extra=extra)
