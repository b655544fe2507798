"""The technician's pages in maintenance mode: the devices (status, history,
tests, camera preview), the touch test, counters and consumables, settings,
and the diagnostics bundle.

Each page is a ``View`` (screens named ``maint_*``, drawn by kiosk/ui); each
tap comes back as a ``maint.*`` action. What takes time (a device test, a test
print, writing the bundle to a USB stick) runs off the UI thread through the
mode's ``run``, so the screen stays live and a late answer to a page that was
left is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.maintenance.credentials import may
from kiosk.maintenance.history import plain_fields

if TYPE_CHECKING:
    from kiosk.devices.base import Device
    from kiosk.identity.frames import Frame
    from kiosk.maintenance.mode import Maintenance
    from kiosk.maintenance.settings_page import SettingsPage

log = logging.getLogger(__name__)

TOUCH_GRID = (6, 10)  # rows, columns: cells about 190 px wide on the kiosk's screen
# What a device offers besides its test: a camera, its live preview.
EXTRA_ACTIONS = {"camera": ("preview",)}


def status_fields(device: Device) -> dict[str, Any]:
    """The device's status as plain values (no personal data is ever in one)."""
    return {"device": device.status.device.value, **plain_fields(device.status)}


class Pages:
    """The pages' data and actions. Built by the composition root with what the
    terminal has; each tool is optional, and a page whose tool is missing is
    not offered."""

    def __init__(self, *, devices: Mapping[str, Device], drivers: Mapping[str, str],
                 run_test: Callable[[str], Any], self_test: Callable[[], Sequence[Any]],
                 role_of: Callable[[str], str] | None = None, counters: Any = None,
                 history: Any = None, settings: SettingsPage | None = None,
                 export: Callable[[], Path | None] | None = None,
                 locate: Callable[[Frame], Any] | None = None,
                 restart: Callable[[], None] | None = None) -> None:
        self.devices = devices
        self.drivers = drivers
        self.run_test = run_test
        self.self_test = lambda: list(self_test())
        self._role_of = role_of
        self.counters = counters
        self.history = history
        self.settings = settings
        self.export = export
        self.locate = locate
        self._restart = restart
        self.mode: Maintenance | None = None
        self.page: tuple[str, dict[str, Any]] = ("maint_home", {})
        self.notice: dict[str, Any] | None = None
        self.running: str | None = None  # the device whose test runs
        self.results: dict[str, dict[str, Any]] = {}  # the last test of each device
        self._preview_stop: Callable[[], None] | None = None

    def attach(self, mode: Maintenance) -> None:
        self.mode = mode
        if self.settings is not None:
            self.settings.attach(self)

    @property
    def restart_pending(self) -> bool:
        return self.settings is not None and self.settings.restart_pending

    def restart(self) -> None:
        if self._restart is not None:
            self._restart()

    def role_of(self, technician: str) -> str:
        return self._role_of(technician) if self._role_of is not None else "technician"

    def may(self, act: str) -> bool:
        """Whether the technician in maintenance may do ``act`` (their role's powers)."""
        return self.mode is not None and may(self.mode.role, act)

    @property
    def can_configure(self) -> bool:
        return self.settings is not None and self.may("settings")

    # ----- navigation --------------------------------------------------------------

    def home(self, notice: dict[str, Any] | None = None) -> None:
        self.stop()
        self.notice = notice
        self.page = ("maint_home", {})
        self.redraw()

    def redraw(self) -> None:
        assert self.mode is not None
        screen, args = self.page
        if screen == "maint_home":
            data = self._home_data()
        elif screen == "maint_device":
            data = self._device_data(args["name"])
        elif screen == "maint_counters":
            data = self._counters_data()
        elif screen == "maint_settings" and self.settings is not None:
            data = self.settings.data()
        elif screen == "maint_edit" and self.settings is not None:
            data = self.settings.edit_data()
        else:
            data = dict(args)
        self.mode.show(screen, data)

    def go(self, screen: str, **args: Any) -> None:
        self.stop()
        self.notice = None
        self.page = (screen, args)
        self.redraw()

    def act(self, action: str, value: Any) -> None:
        if action in ("maint.home", "maint.back"):
            if action == "maint.back" and self.page[0] == "maint_edit":
                self.go("maint_settings")
            else:
                self.home()
        elif action == "maint.device" and value in self.devices:
            self.go("maint_device", name=str(value))
        elif action == "maint.test" and value in self.devices and self.may("diagnostics"):
            self._test(str(value))
        elif action == "maint.preview" and value in self.devices and self.locate is not None:
            self.go("maint_camera", name=str(value))
            self._start_preview(str(value))
        elif action == "maint.touch":
            rows, cols = TOUCH_GRID
            self.go("maint_touch", rows=rows, cols=cols)
        elif action == "maint.touch_done" and isinstance(value, Mapping):
            self._touch_done(value)
        elif action == "maint.counters" and self.counters is not None:
            self.go("maint_counters")
        elif action == "maint.replace" and self.counters is not None \
                and self.may("consumables"):
            self._replace(str(value))
        elif action == "maint.export" and self.export is not None:
            self._export()
        elif (action.startswith("maint.setting") or action in ("maint.save", "maint.edit",
                                                                "maint.text")) \
                and self.can_configure and self.settings is not None:
            self.settings.act(action, value)

    def stop(self) -> None:
        """Leave whatever the page had running (the camera preview)."""
        if self._preview_stop is not None:
            stop, self._preview_stop = self._preview_stop, None
            stop()

    def device_changed(self, name: str) -> None:
        if self.page[0] == "maint_home" or (self.page[0] == "maint_device"
                                            and self.page[1].get("name") == name):
            self.redraw()

    # ----- pages' data ---------------------------------------------------------------

    def _home_data(self) -> dict[str, Any]:
        rows = []
        for name, device in self.devices.items():
            status = device.status
            rows.append({"name": name, "state": status.device.value,
                         "usable": bool(status.usable), "reason": status.reason or ""})
        return {"devices": rows, "notice": self.notice,
                "tools": [t for t, on in (("touch", True), ("counters", self.counters is not None),
                                          ("settings", self.can_configure),
                                          ("export", self.export is not None)) if on],
                "restart_pending": self.restart_pending}

    def _device_data(self, name: str) -> dict[str, Any]:
        device = self.devices[name]
        history = [] if self.history is None else [
            {"at": c.at.strftime("%Y-%m-%d %H:%M:%S"), "state": c.state, "reason": c.reason}
            for c in self.history.of(name)[:8]]
        actions = ["test", *EXTRA_ACTIONS.get(device.kind, ())]
        if self.locate is None and "preview" in actions:
            actions.remove("preview")
        return {"name": name, "kind": device.kind, "driver": self.drivers.get(name, ""),
                "simulated": bool(device.simulated), "status": status_fields(device),
                "history": history, "running": self.running == name,
                "result": self.results.get(name), "actions": actions}

    def _counters_data(self) -> dict[str, Any]:
        consumables = [{"name": c.name, "used": c.used, "capacity": c.capacity,
                        "remaining": c.remaining, "replaced_at": c.replaced_at or ""}
                       for c in self.counters.consumables()]
        return {"counters": dict(self.counters.snapshot()), "consumables": consumables,
                "notice": self.notice}

    # ----- actions -------------------------------------------------------------------

    def _test(self, name: str) -> None:
        assert self.mode is not None
        if self.running is not None:
            return  # one test at a time: a device serves one caller
        self.running = name
        self.results.pop(name, None)
        self.redraw()
        mode = self.mode

        def done(diagnosis: Any, error: BaseException | None) -> None:
            self.running = None
            if error is not None:  # the tests report faults; this is a bug, not a fault
                log.error("device test of %s raised %s", name, type(error).__name__)
                self.results[name] = {"device": name, "passed": False, "key": "maint.test_broke",
                                      "values": {}, "seconds": 0.0}
            else:
                self.results[name] = diagnosis.as_dict(mode.lang)
                if self.history is not None:
                    self.history.record(diagnosis)
            mode.audit.append(mode.actor, "device.test", device=name,
                              passed=self.results[name]["passed"])
            self.redraw()

        def dropped() -> None:
            self.running = None  # maintenance was left meanwhile: the next test may run

        mode.run(lambda: self.run_test(name), done, dropped)

    def _start_preview(self, name: str) -> None:
        assert self.mode is not None
        camera, host, locate = self.devices[name], self.mode.host, self.locate
        drawing = threading.Event()  # one frame on its way to the screen at a time
        stopped = threading.Event()

        def on_frame(frame: Frame) -> None:
            if stopped.is_set() or drawing.is_set():
                frame.wipe()
                return
            # Located off the camera's thread (a dlib scan takes tens of ms; the
            # camera must go on reading), drawn on the UI thread, then wiped.
            drawing.set()

            def drawn(seen: Any, error: BaseException | None) -> None:
                drawing.clear()
                if error is not None:  # the preview goes on without a box
                    log.warning("face location failed: %s", type(error).__name__)
                overlay = {"box": getattr(seen, "box", None),
                           "guidance": getattr(seen, "guidance", None)}
                if not stopped.is_set():
                    host.preview(frame, overlay)
                frame.wipe()  # a technician's face is not kept either

            host.run_in_background(lambda: locate(frame) if locate is not None else None,
                                   drawn)

        def stop() -> None:
            stopped.set()
            camera.stop()

        camera.start(on_frame)
        self._preview_stop = stop

    def _touch_done(self, result: Mapping[str, Any]) -> None:
        assert self.mode is not None
        touched, cells = int(result.get("touched", 0)), int(result.get("cells", 0))
        passed = cells > 0 and touched == cells
        self.mode.audit.append(self.mode.actor, "device.test", device="touchscreen",
                               passed=passed, touched=touched, cells=cells)
        self.home({"key": "maint.touch.passed" if passed else "maint.touch.failed",
                   "values": {"touched": touched, "cells": cells}, "ok": passed})

    def _replace(self, name: str) -> None:
        assert self.mode is not None
        try:
            count = self.counters.replace(name)
        except ValueError:
            return
        self.mode.audit.append(self.mode.actor, "consumable.replace", consumable=name,
                               used_before=count)
        self.notice = {"key": "maint.counters.replaced", "values": {"used": count}, "ok": True}
        self.redraw()

    def _export(self) -> None:
        assert self.mode is not None
        mode = self.mode
        self.notice = {"key": "maint.export.running", "values": {}, "ok": True}
        self.redraw()

        def done(path: Path | None, error: BaseException | None) -> None:
            if error is not None:
                log.error("diagnostics bundle failed: %s", type(error).__name__)
                notice = {"key": "maint.export.failed", "values": {}, "ok": False}
            elif path is None:
                notice = {"key": "maint.export.no_usb", "values": {}, "ok": False}
            else:
                mode.audit.append(mode.actor, "diagnostics.export", file=Path(path).name)
                notice = {"key": "maint.export.done", "values": {"file": Path(path).name},
                          "ok": True}
            if self.page[0] == "maint_home":
                self.home(notice)

        mode.run(self.export, done)  # type: ignore[arg-type]
