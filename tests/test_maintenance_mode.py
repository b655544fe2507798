"""Maintenance mode without Qt: entering with a PIN, lockout, the devices
handed over (a card inserted does not start a session), leaving after a
self-test, out of service across a restart, idle lock, and the pages' acts
recorded in the audit log. The real terminal on simulators, a real gate,
a real audit log; the fake clock of ManualHost moves the timers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.devices.status import DeviceState
from kiosk.journey import ManualHost
from kiosk.maintenance.credentials import hash_pin
from kiosk.maintenance.mode import CitizenScreen, Front
from kiosk.offline.audit import terminal_audit_log
from tests.conftest import journey_for

PIN = "246810"
FIELD_PIN = "135790"


@pytest.fixture(scope="module")
def pin_hashes() -> dict[str, str]:
    return {"T001": hash_pin(PIN), "F002": hash_pin(FIELD_PIN)}


class Rig:
    """A terminal's journey and maintenance on a ManualHost, as the UI wires them."""

    def __init__(self, terminal, pin_hashes: dict[str, str], **maintenance) -> None:
        m = terminal.config.maintenance
        terminal.config = replace(terminal.config, maintenance=replace(
            m, technicians=dict(pin_hashes), roles={"T001": "technician", "F002": "field"},
            **maintenance))
        self.terminal = terminal
        self.restarts = 0
        self.build()

    def build(self) -> None:
        self.host = ManualHost()
        self.citizen = CitizenScreen(self.host)
        self.journey = journey_for(self.terminal, self.citizen, deliver_to=lambda: self.front)
        self.mode = self.terminal.maintenance(self.host, self.citizen, self.journey,
                                              restart=self._restart)
        self.front = Front(self.journey, self.mode)
        self.journey.start()

    def _restart(self) -> None:
        self.restarts += 1

    @property
    def screen(self) -> str:
        return self.host.view.screen

    def wait_for(self, screen: str, **data) -> None:
        self.host.pump(lambda: self.screen == screen and all(
            self.host.view.data.get(k) == v for k, v in data.items()), timeout=30)

    def enter(self, pin: str = PIN, source: str = "switch") -> None:
        self.front.act("maintenance", source)
        assert self.screen == "maint_pin"
        self.front.act("maint.pin", pin)
        self.wait_for("maint_home")

    def audit(self) -> list[tuple[str, str, dict]]:
        log = terminal_audit_log(self.terminal.home)
        return [(e.actor, e.action, dict(e.details)) for e in log.entries()]


@pytest.fixture
def rig(terminal, pin_hashes) -> Rig:
    return Rig(terminal, pin_hashes)


def test_the_right_pin_opens_maintenance_and_the_citizen_side_is_held(rig: Rig) -> None:
    assert rig.screen == "attract"
    rig.enter()
    assert rig.host.view.data["technician"] == "T001"
    assert {"touch", "counters", "settings", "export"} >= set(rig.host.view.data["tools"])
    assert "settings" in rig.host.view.data["tools"]
    # The devices are maintenance's: a card inserted starts no citizen session.
    rig.terminal.devices["card_reader"].insert(rig.terminal.devices["card_reader"].card_keys[0])
    rig.host.pump(lambda: rig.terminal.devices["card_reader"].status.media.value == "present")
    rig.host.pump(lambda: rig.host.view.screen == "maint_home")
    assert rig.journey.session is None
    assert ("technician:T001", "maintenance.enter", {"source": "in_service",
                                                      "role": "technician"}) in rig.audit()


def test_wrong_pins_lock_the_gate_and_even_the_right_one_is_refused(rig: Rig) -> None:
    rig.front.act("maintenance", "gesture")
    limit = rig.terminal.config.maintenance.max_failures
    for left in range(limit - 1, 0, -1):
        rig.front.act("maint.pin", "000000")
        rig.wait_for("maint_pin", state="wrong", failures_left=left)
    rig.front.act("maint.pin", "000000")
    rig.wait_for("maint_pin", state="locked")
    assert rig.host.view.data["minutes"] >= 1
    rig.front.act("maint.pin", PIN)
    rig.wait_for("maint_pin", state="locked")
    denied = [d for _, a, d in rig.audit() if a == "maintenance.denied"]
    assert [d["locked"] for d in denied] == [False] * (limit - 1) + [True, True]
    rig.front.act("maint.cancel")
    assert rig.screen == "attract"


def test_leaving_runs_the_self_test_and_returns_to_service(rig: Rig) -> None:
    rig.enter()
    rig.front.act("maint.leave")
    assert rig.screen == "maint_selftest"
    rig.wait_for("attract")
    assert not rig.mode.active
    leave = [d for _, a, d in rig.audit() if a == "maintenance.leave"]
    assert leave == [{"self_test": "passed", "restart": False}]
    state = json.loads((rig.terminal.home / "state" / "maintenance.json").read_text())
    assert state == {"out_of_service": False}
    # Back in service, the card starts a session again.
    rig.front.act("start")
    assert rig.journey.session is not None


def test_a_failed_self_test_is_shown_and_service_resumes_only_when_accepted(rig: Rig) -> None:
    rig.enter()
    rig.terminal.devices["printer"].set_offline(True)
    rig.front.act("maint.leave")
    rig.wait_for("maint_selftest", running=False)
    failed = [r["device"] for r in rig.host.view.data["results"] if not r["passed"]]
    assert failed == ["printer"]
    assert rig.mode.active
    rig.front.act("maint.resume")
    assert rig.screen == "attract"
    assert [d["self_test"] for _, a, d in rig.audit() if a == "maintenance.leave"] == [
        "accepted"]


def test_out_of_service_survives_a_restart_and_only_a_pin_opens_it(rig: Rig) -> None:
    rig.enter()
    rig.front.act("maint.lock")
    assert rig.screen == "out_of_service"
    rig.build()  # the kiosk starts again
    assert rig.screen == "out_of_service"
    rig.front.act("start")  # a citizen's tap does nothing
    assert rig.screen == "out_of_service" and rig.journey.session is None
    rig.front.act("maintenance", "gesture")
    rig.front.act("maint.cancel")
    assert rig.screen == "out_of_service"
    rig.enter()
    rig.front.act("maint.leave")
    rig.wait_for("attract")


def test_a_technician_who_walks_away_leaves_the_kiosk_out_of_service(rig: Rig) -> None:
    rig.enter()
    rig.host.advance(rig.terminal.config.maintenance.idle_s - 1)
    rig.front.touch()
    rig.host.advance(rig.terminal.config.maintenance.idle_s - 1)
    assert rig.screen == "maint_home"
    rig.host.advance(2)
    assert rig.screen == "out_of_service"
    assert ("technician:T001", "maintenance.timeout", {}) in rig.audit()


def test_the_switch_during_a_session_waits_for_its_end(rig: Rig) -> None:
    rig.front.act("start")
    assert rig.journey.session is not None
    rig.front.act("maintenance", "switch")
    assert rig.screen != "maint_pin" and rig.journey.session is not None
    rig.front.act("cancel")
    assert rig.screen == "maint_pin"


def test_a_device_test_is_shown_recorded_and_audited(rig: Rig) -> None:
    rig.enter()
    rig.front.act("maint.device", "camera")
    assert rig.screen == "maint_device" and rig.host.view.data["kind"] == "camera"
    rig.front.act("maint.test", "camera")
    rig.host.pump(lambda: (rig.host.view.data.get("result") or {}).get("passed") is not None,
                  timeout=30)
    result = rig.host.view.data["result"]
    assert result["passed"] and result["key"].startswith("diag.")
    assert ("technician:T001", "device.test", {"device": "camera", "passed": True}) \
        in rig.audit()


def test_a_device_fault_shows_in_its_history(rig: Rig) -> None:
    rig.enter()
    reader = rig.terminal.devices["card_reader"]
    reader.set_device_state(DeviceState.HARDWARE_ERROR, "reader_jammed")
    rig.host.pump(lambda: any(not d["usable"] for d in rig.host.view.data.get("devices", [])))
    rig.front.act("maint.device", "card_reader")
    states = [c["state"] for c in rig.host.view.data["history"]]
    assert states[0] == "hardwareError"


def test_paper_replaced_resets_its_count_and_is_audited(rig: Rig) -> None:
    rig.enter()
    counters = rig.terminal.watchers().counters
    before = next(c for c in counters.consumables() if c.name == "paper")
    counters.add("pages", 0)  # the table exists either way
    rig.front.act("maint.counters")
    assert rig.screen == "maint_counters"
    rig.front.act("maint.replace", "paper")
    paper = next(c for c in rig.host.view.data["consumables"] if c["name"] == "paper")
    assert paper["used"] == 0 and paper["replaced_at"]
    assert ("technician:T001", "consumable.replace",
            {"consumable": "paper", "used_before": before.used}) in rig.audit()


def test_field_staff_run_diagnostics_but_may_not_change_settings(rig: Rig) -> None:
    rig.enter(FIELD_PIN)
    assert "settings" not in rig.host.view.data["tools"]
    rig.front.act("maint.settings")
    assert rig.screen == "maint_home"


def test_the_diagnostics_bundle_goes_to_the_usb_stick(terminal, pin_hashes,
                                                      tmp_path: Path) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    rig = Rig(terminal, pin_hashes, export_dir=str(stick))
    rig.enter()
    rig.front.act("maint.export")
    rig.host.pump(lambda: (rig.host.view.data.get("notice") or {}).get("key")
                  not in (None, "maint.export.running"), timeout=60)
    notice = rig.host.view.data["notice"]
    assert notice["key"] == "maint.export.done", notice
    written = list(stick.iterdir())
    assert [p.name for p in written] == [notice["values"]["file"]]
    assert ("technician:T001", "diagnostics.export", {"file": written[0].name}) in rig.audit()


def settings_row(rig: Rig, key: str) -> dict:
    return next(s for s in rig.host.view.data["settings"] if s["key"] == key)


def save(rig: Rig) -> None:
    rig.front.act("maint.save")
    rig.host.pump(lambda: rig.host.view.data.get("saved") is not None
                  or rig.host.view.data.get("error") is not None)


def test_settings_saved_from_the_screen_apply_at_once_and_are_audited(rig: Rig) -> None:
    from kiosk.config import load

    rig.enter()
    rig.front.act("maint.settings")
    assert rig.screen == "maint_settings"
    before = settings_row(rig, "session.idle_timeout_s")["value"]
    rig.front.act("maint.setting_step", "session.idle_timeout_s|up")
    rig.front.act("maint.setting_step", "session.idle_timeout_s|up")
    service = sorted(rig.journey.services)[0]
    rig.front.act("maint.setting_toggle", f"services.enabled|{service}")
    assert settings_row(rig, "session.idle_timeout_s")["changed"]
    save(rig)
    assert rig.host.view.data["saved"] == 2 and rig.host.view.data["error"] is None
    after = before + 20
    # In effect now, without a restart: the journey's timeouts and catalog.
    assert rig.journey.timeouts.idle_timeout_s == after
    assert service not in rig.journey.services
    assert not rig.mode.pages.restart_pending
    # On disk, where the kiosk finds it at its next start, and valid.
    saved = load(rig.terminal.home / "terminal.toml")
    assert saved.session.idle_timeout_s == after and service not in saved.enabled_services
    changes = {d["key"]: d for _, a, d in rig.audit() if a == "config.change"}
    assert changes["session.idle_timeout_s"]["new"] == after
    assert service not in str(changes["services.enabled"]["new"])


def test_a_refused_setting_names_its_key_and_changes_nothing(rig: Rig) -> None:
    rig.enter()
    rig.front.act("maint.settings")
    rig.front.act("maint.edit", "backend.url")
    assert rig.screen == "maint_edit"
    rig.front.act("maint.text", "ftp://gateway.example")
    assert rig.screen == "maint_settings"
    save(rig)
    assert rig.host.view.data["error"]["key"] == "backend.url"
    assert not (rig.terminal.home / "terminal.toml").exists()
    assert not [a for _, a, _ in rig.audit() if a == "config.change"]


def test_a_setting_that_needs_a_restart_restarts_the_kiosk_on_return(rig: Rig) -> None:
    rig.enter()
    rig.front.act("maint.settings")
    rig.front.act("maint.edit", "backend.url")
    rig.front.act("maint.text", "https://gateway.example.gov.mo")
    save(rig)
    assert rig.host.view.data["restart_pending"]
    assert rig.restarts == 0
    rig.front.act("maint.leave")
    rig.wait_for("attract")
    assert rig.restarts == 1
    assert [d["restart"] for _, a, d in rig.audit() if a == "maintenance.leave"] == [True]
