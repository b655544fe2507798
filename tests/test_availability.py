"""Why a service is greyed out: hours, devices, the department's backend, a broken plugin."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiosk.config import ConfigError, parse
from kiosk.devices.status import DeviceState, PrinterStatus
from kiosk.i18n import LANGUAGES, t
from kiosk.services.availability import availability, open_at
from kiosk.services.registry import load_services

SERVICES = load_services().services
ONLINE = {"card_reader": PrinterStatus(DeviceState.ONLINE),
          "camera": PrinterStatus(DeviceState.ONLINE), "printer": PrinterStatus(DeviceState.ONLINE)}
NOON = datetime(2026, 11, 27, 12, 0)


@pytest.mark.parametrize(("span", "when", "is_open"), [
    ("09:00-17:45", "09:00", True), ("09:00-17:45", "17:44", True),
    ("09:00-17:45", "17:45", False), ("09:00-17:45", "08:59", False),
    ("22:00-06:00", "23:30", True), ("22:00-06:00", "05:59", True),
    ("22:00-06:00", "12:00", False), ("00:00-24:00", "23:59", True),
])
def test_opening_hours(span: str, when: str, is_open: bool) -> None:
    hour, minute = map(int, when.split(":"))
    assert open_at(span, NOON.replace(hour=hour, minute=minute)) is is_open


def test_closed_hours_say_when_it_opens_in_every_language() -> None:
    fines = SERVICES["dsat.traffic-fines"]
    shut = availability(fines, ONLINE, True, now=NOON.replace(hour=20),
                        hours={"dsat": "08:00-18:00"})
    assert not shut.available and shut.reason == "unavailable.hours"
    for lang in LANGUAGES:
        assert "08:00" in t(shut.reason, lang, **shut.values)
    # A service's own hours win over its department's.
    assert availability(fines, ONLINE, True, now=NOON.replace(hour=20),
                        hours={"dsat": "08:00-18:00", "dsat.traffic-fines": "00:00-24:00"}
                        ).available


def test_a_department_down_stops_only_its_online_services() -> None:
    down = {"fss"}
    assert availability(SERVICES["fss.benefit-status"], ONLINE, True,
                        departments_down=down).reason == "unavailable.department"
    # Proof of life queues: a pensioner is not sent home because a link is down.
    assert availability(SERVICES["fss.proof-of-life"], ONLINE, True,
                        departments_down=down).available
    assert availability(SERVICES["dsf.tax-payment"], ONLINE, True,
                        departments_down=down).available


def test_offline_policies() -> None:
    offline = {sid: availability(s, ONLINE, False).available for sid, s in SERVICES.items()}
    assert offline["dsi.card-check"]  # local
    assert offline["safp.feedback"] and offline["ic.library-card"]  # queue
    assert offline["fp.proof-of-life"] and offline["ias.proof-of-life"]
    assert not offline["dsf.tax-payment"] and not offline["ssm.voucher-print"]  # online


def test_the_config_names_a_bad_opening_hour() -> None:
    cfg = parse('[services.hours]\ndsaj = "09:00-17:45"\n')
    assert cfg.service_hours == {"dsaj": "09:00-17:45"}
    with pytest.raises(ConfigError, match=r"services\.hours\.dsat: must be"):
        parse('[services.hours]\ndsat = "9-5"\n')
    with pytest.raises(ConfigError, match=r"services\.hours: must be a table"):
        parse('[services]\nhours = "always"\n')


def test_every_service_has_its_texts_and_an_outcome() -> None:
    assert len(SERVICES) == 28
    assert len({s.department for s in SERVICES.values()}) == 10
    for service in SERVICES.values():
        assert all(service.titles[lang] for lang in LANGUAGES)
        assert service.outcome is not None and all(service.outcome[lang] for lang in LANGUAGES)
        assert t(f"department.{service.department}", "pt")
