"""Service plugins: found through real entry points, isolated when they break.

The plugins under test are real modules written to a temporary directory on
``sys.path`` and loaded through ``importlib.metadata.EntryPoint`` objects, just
as a department's installed distribution would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from kiosk.devices.printer import SimulatedPrinter
from kiosk.devices.status import (
    CameraStatus,
    CardReaderStatus,
    DeviceState,
    DeviceStatus,
    Media,
    Paper,
    PrinterStatus,
)
from kiosk.i18n import LANGUAGES
from kiosk.services.availability import Availability, availability
from kiosk.services.contract import (
    ENTRY_POINT_GROUP,
    Need,
    OfflinePolicy,
    Service,
    ServiceDefinitionError,
)
from kiosk.services.registry import LoadFailure, Registry, load_services
from kiosk.services.steps import ReadCard

ROOT = Path(__file__).resolve().parent.parent
GOOD_ID = "dsi.card-check-test"

SERVICE_SOURCE = """\
from kiosk.services.contract import Need, OfflinePolicy, Service
from kiosk.services.steps import ReadCard

SERVICE = Service(
    id={id!r},
    department="dsi",
    titles={titles!r},
    needs=frozenset({{Need.CARD}}),
    offline=OfflinePolicy.LOCAL,
    steps=(ReadCard(),),
)
"""
TITLES = {"zh-Hant": "證件檢查", "pt": "Verificação do cartão", "en": "Card check"}

PLUGINS = {
    "good_plugin": SERVICE_SOURCE.format(id=GOOD_ID, titles=TITLES),
    "good_plugin_copy": SERVICE_SOURCE.format(id=GOOD_ID, titles=TITLES),
    "factory_plugin": SERVICE_SOURCE.format(id="dsi.factory-test", titles=TITLES)
    .replace("SERVICE = Service(", "def SERVICE():\n    return Service(")
    .replace("\n)\n", "\n    )\n"),
    "broken_import": "raise ImportError('a dependency of the plugin is not installed')\n",
    "raises_on_call": "def SERVICE():\n    raise RuntimeError('the plugin broke')\n",
    "wrong_type": "SERVICE = 42\n",
    "exits": "import sys\nsys.exit(3)\n",
    "bad_titles": SERVICE_SOURCE.format(id="dsi.bad-titles",
                                        titles={"zh-Hant": "標題", "en": "Title"}),
    "syntax_error": "SERVICE = (\n",
}


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "plugins"
    folder.mkdir()
    for module, source in PLUGINS.items():
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))  # also invalidates the import caches
    yield folder
    for module in PLUGINS:  # the next test writes its own copies
        sys.modules.pop(module, None)


def failure_for(registry: Registry, name: str) -> list[LoadFailure]:
    return [f for f in registry.failures if f.entry_point == name]


def test_good_plugin_loads(plugins: Path) -> None:
    registry = load_services([ep(GOOD_ID, "good_plugin:SERVICE")])
    assert registry.failures == []
    service = registry.services[GOOD_ID]
    assert service is sys.modules["good_plugin"].SERVICE
    assert service.department == "dsi"
    assert service.needs == frozenset({Need.CARD})
    assert service.offline is OfflinePolicy.LOCAL
    assert service.devices == ("card_reader",)
    assert [service.title(lang) for lang in LANGUAGES] == [TITLES[lang] for lang in LANGUAGES]


def test_a_factory_is_called(plugins: Path) -> None:
    registry = load_services([ep("dsi.factory-test", "factory_plugin:SERVICE")])
    assert registry.failures == []
    assert isinstance(registry.services["dsi.factory-test"], Service)


@pytest.mark.parametrize(
    ("name", "value", "error_type", "words"),
    [
        ("dsi.broken-import", "broken_import:SERVICE", "ImportError", "not installed"),
        ("dsi.no-module", "no_such_plugin_module:SERVICE", "ModuleNotFoundError",
         "no_such_plugin_module"),
        ("dsi.no-attr", "good_plugin:NOT_THERE", "AttributeError", "NOT_THERE"),
        ("dsi.raises", "raises_on_call:SERVICE", "RuntimeError", "the plugin broke"),
        ("dsi.wrong-type", "wrong_type:SERVICE", "TypeError", "int"),
        ("dsi.bad-titles", "bad_titles:SERVICE", "ServiceDefinitionError", "pt"),
        ("dsi.syntax", "syntax_error:SERVICE", "SyntaxError", ""),
        ("dsi.other-name", "good_plugin:SERVICE", "ValueError", GOOD_ID),
        ("dsi.exits", "exits:SERVICE", "SystemExit", "3"),
    ],
    ids=["import", "no-module", "no-attr", "raises", "wrong-type", "bad-titles", "syntax",
         "name-mismatch", "exits"],
)
def test_a_broken_plugin_is_recorded(plugins: Path, name: str, value: str, error_type: str,
                                     words: str) -> None:
    registry = load_services([ep(name, value)])
    assert registry.services == {}
    # It stays in the catalog, greyed out with the reason, rather than vanishing.
    [stand_in] = registry.enabled(["*"])
    assert stand_in.id == name and stand_in.broken.startswith(f"{error_type}: ")
    [failure] = registry.failures
    assert failure.entry_point == name
    assert failure.distribution == "?"  # a bare EntryPoint belongs to no distribution
    assert failure.error.startswith(f"{error_type}: ")
    assert words in failure.error


def test_broken_plugins_do_not_stop_the_good_ones(plugins: Path) -> None:
    eps = [
        ep("dsi.broken-import", "broken_import:SERVICE"),
        ep("dsi.raises", "raises_on_call:SERVICE"),
        ep(GOOD_ID, "good_plugin:SERVICE"),
        ep("dsi.wrong-type", "wrong_type:SERVICE"),
        ep("dsi.bad-titles", "bad_titles:SERVICE"),
        ep(GOOD_ID, "good_plugin_copy:SERVICE"),  # a second distribution claims the id
        ep("dsi.other-name", "good_plugin:SERVICE"),
        ep("dsi.factory-test", "factory_plugin:SERVICE"),
    ]
    registry = load_services(eps)  # never raises
    assert sorted(registry.services) == [GOOD_ID, "dsi.factory-test"]
    # The first registration wins; the duplicate is a failure, not a replacement.
    assert registry.services[GOOD_ID] is sys.modules["good_plugin"].SERVICE
    assert registry.services[GOOD_ID] is not sys.modules["good_plugin_copy"].SERVICE
    assert [f.entry_point for f in registry.failures] == [
        "dsi.broken-import", "dsi.raises", "dsi.wrong-type", "dsi.bad-titles", GOOD_ID,
        "dsi.other-name",
    ]
    [duplicate] = failure_for(registry, GOOD_ID)
    assert duplicate.error.startswith("ValueError: ")
    assert "already registered" in duplicate.error
    [mismatch] = failure_for(registry, "dsi.other-name")
    assert "differs" in mismatch.error


def test_bad_titles_raise_at_definition() -> None:
    with pytest.raises(ServiceDefinitionError, match="pt"):
        Service(id="dsi.x", department="dsi", titles={"zh-Hant": "x", "en": "x"},
                needs=frozenset(), offline=OfflinePolicy.LOCAL, steps=(ReadCard(),))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"id": "x"}, "department"),
        ({"id": "other.x"}, "department"),
        ({"id": "dsi.a.b"}, "department"),
        ({"titles": {**TITLES, "en": ""}}, "en"),
        ({"steps": ()}, "no steps"),
        ({"steps": (ReadCard(), ReadCard())}, "repeat"),
    ],
)
def test_service_contract(fields: dict, words: str) -> None:
    args = {"id": "dsi.x", "department": "dsi", "titles": TITLES, "needs": frozenset(),
            "offline": OfflinePolicy.LOCAL, "steps": (ReadCard(),), **fields}
    with pytest.raises(ServiceDefinitionError, match=words):
        Service(**args)


def test_load_from_installed_entry_points() -> None:
    registry = load_services()
    service = registry.services["ssm.voucher-print"]
    assert service.department == "ssm"
    assert service.needs == frozenset({Need.CARD, Need.FACE, Need.PRINTER})
    assert service.offline is OfflinePolicy.ONLINE
    assert not [f for f in registry.failures if f.entry_point == "ssm.voucher-print"]


def test_enabled(plugins: Path) -> None:
    registry = load_services([ep("dsi.factory-test", "factory_plugin:SERVICE"),
                              ep(GOOD_ID, "good_plugin:SERVICE")])
    registry.services.update(load_services().services)
    everything = registry.enabled(["*"])
    assert [s.id for s in everything] == sorted(registry.services)
    assert {"ssm.voucher-print", GOOD_ID, "dsi.factory-test"} <= {s.id for s in everything}
    assert [s.id for s in registry.enabled(["ssm.voucher-print", "nope"])] == [
        "ssm.voucher-print"]
    # The terminal's order, not the registry's.
    assert [s.id for s in registry.enabled([GOOD_ID, "dsi.factory-test"])] == [
        GOOD_ID, "dsi.factory-test"]
    assert registry.enabled([]) == []
    assert registry.enabled(iter(["nope"])) == []


# --------------------------------------------------------------------------- availability


def local_service(*needs: Need) -> Service:
    return Service(id="dsi.local", department="dsi", titles=TITLES, needs=frozenset(needs),
                   offline=OfflinePolicy.LOCAL, steps=(ReadCard(),))


VOUCHERS = load_services([ep("ssm.voucher-print",
                             "kiosk.services.ssm.voucher_print:SERVICE")]).services[
    "ssm.voucher-print"]


@pytest.fixture
def statuses() -> dict[str, DeviceStatus]:
    return {
        "card_reader": CardReaderStatus(DeviceState.ONLINE, media=Media.ABSENT),
        "camera": CameraStatus(DeviceState.ONLINE),
        "printer": PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL),
    }


def test_available_when_everything_works(statuses: dict[str, DeviceStatus]) -> None:
    assert availability(VOUCHERS, statuses, backend_online=True) == Availability(True)


def test_printer_out_of_paper(tmp_path: Path, statuses: dict[str, DeviceStatus]) -> None:
    printer = SimulatedPrinter(tmp_path, sheets=0, seconds_per_page=0)
    try:
        statuses["printer"] = printer.status
    finally:
        printer.close()
    result = availability(VOUCHERS, statuses, backend_online=True)
    assert result == Availability(False, "unavailable.printer.paper_out", "printer")


@pytest.mark.parametrize(
    ("device", "status", "reason"),
    [
        ("printer", PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL, cover_open=True),
         "unavailable.printer.cover_open"),
        ("printer", PrinterStatus(DeviceState.OFFLINE, paper=Paper.FULL),
         "unavailable.printer.offline"),
        ("camera", CameraStatus(DeviceState.HARDWARE_ERROR, camera="inop"),
         "unavailable.camera.hardwareError"),
        ("card_reader", CardReaderStatus(DeviceState.ONLINE, media=Media.JAMMED),
         "unavailable.card_reader.card_jammed"),
    ],
)
def test_device_down(statuses: dict[str, DeviceStatus], device: str, status: DeviceStatus,
                     reason: str) -> None:
    statuses[device] = status
    assert availability(VOUCHERS, statuses, backend_online=True) == Availability(
        False, reason, device)


def test_missing_device(statuses: dict[str, DeviceStatus]) -> None:
    del statuses["printer"]
    assert availability(VOUCHERS, statuses, backend_online=True) == Availability(
        False, "unavailable.printer.noDevice", "printer")


def test_first_missing_device_in_need_order() -> None:
    assert availability(VOUCHERS, {}, backend_online=False).reason == (
        "unavailable.card_reader.noDevice")


def test_online_service_needs_the_backend(statuses: dict[str, DeviceStatus]) -> None:
    assert availability(VOUCHERS, statuses, backend_online=False) == Availability(
        False, "unavailable.backend")


def test_local_service_works_offline(statuses: dict[str, DeviceStatus]) -> None:
    service = local_service(Need.CARD)
    assert availability(service, statuses, backend_online=False) == Availability(True)
    assert availability(local_service(), {}, backend_online=False) == Availability(True)
    # ... but not without its devices.
    statuses["card_reader"] = CardReaderStatus(DeviceState.OFFLINE, media=Media.ABSENT)
    assert availability(service, statuses, backend_online=False) == Availability(
        False, "unavailable.card_reader.offline", "card_reader")


def test_needs_without_devices_are_ignored() -> None:
    service = local_service(Need.SECOND_FACTOR, Need.PAYMENT)
    assert service.devices == ()
    assert availability(service, {}, backend_online=True).available


# --------------------------------------------------------------------------- command line


def test_services_list_json(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_HOME": str(tmp_path / "home")}
    env.pop("KIOSK_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "services", "list", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) == {"id", "department", "titles", "needs", "offline"}
        assert set(row["titles"]) == set(LANGUAGES)
        assert all(row["titles"].values())
        assert row["id"].startswith(row["department"] + ".")
        assert row["offline"] in {p.value for p in OfflinePolicy}
        assert set(row["needs"]) <= {n.value for n in Need}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    [vouchers] = [r for r in rows if r["id"] == "ssm.voucher-print"]
    assert vouchers["department"] == "ssm"
    assert vouchers["needs"] == ["card", "face", "printer"]
    assert vouchers["offline"] == "online"
    assert vouchers["titles"] == {"zh-Hant": "列印醫療券", "pt": "Impressão de vales de saúde",
                                  "en": "Print health vouchers"}
