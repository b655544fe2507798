"""The devices' recent status changes and tests, newest first and bounded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.devices.camera import SimulatedCamera
from kiosk.devices.printer import SimulatedPrinter
from kiosk.maintenance.diagnostics import Diagnosis
from kiosk.maintenance.history import DeviceHistory


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    p = SimulatedPrinter(tmp_path / "printed", sheets=100, seconds_per_page=0.0)
    yield p
    p.close()


@pytest.fixture
def camera() -> Iterator[SimulatedCamera]:
    c = SimulatedCamera()
    yield c
    c.close()


class Clock:
    """A clock the test moves: each reading one second after the last."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_changes_are_kept_newest_first_with_plain_fields(printer: SimulatedPrinter,
                                                          camera: SimulatedCamera) -> None:
    history = DeviceHistory({"printer": printer, "camera": camera}, clock=Clock())
    printer.load_paper(0)
    printer.set_cover_open(True)
    camera.fail("camera_lost")
    printer.load_paper(100)
    history.close()
    changes = history.of("printer")
    assert [(c.state, c.reason, c.detail["paper"], c.detail["cover_open"]) for c in changes] == [
        ("online", "cover_open", "full", True),
        ("online", "paper_out", "out", True),  # out of paper is what to see to first
        ("online", "paper_out", "out", False),
    ]
    assert changes[0].at > changes[1].at > changes[2].at
    assert changes[0].at.tzinfo is UTC and changes[0].device == "printer"
    # Plain values, not enums: a screen or a JSON bundle takes them as they are.
    assert type(changes[2].detail["paper"]) is str and changes[2].detail["detail"] == "paper_out"
    [lost] = history.of("camera")
    assert (lost.state, lost.reason, dict(lost.detail)) == (
        "hardwareError", "hardwareError", {"detail": "camera_lost", "camera": "inop"})
    assert history.of("speaker") == []


def test_the_status_at_start_and_repeats_are_not_changes(printer: SimulatedPrinter) -> None:
    printer.set_offline(True)
    history = DeviceHistory({"printer": printer})
    assert history.of("printer") == []
    printer.set_offline(True)  # the same again
    printer.set_offline(False)
    printer.set_offline(False)
    assert [c.state for c in history.of("printer")] == ["online"]
    history.close()


def test_the_history_is_bounded_per_device(printer: SimulatedPrinter) -> None:
    history = DeviceHistory({"printer": printer}, keep=3)
    for n in range(5):
        printer.set_offline(n % 2 == 0)
    states = [c.state for c in history.of("printer")]
    assert states == ["offline", "online", "offline"]  # the last three, newest first
    for n in range(5):
        history.record(Diagnosis("printer", n % 2 == 0, "diag.printer.ready",
                                 {"paper": "full"}, float(n)))
    assert [d.seconds for d in history.tests_of("printer")] == [4.0, 3.0, 2.0]
    assert history.tests_of("camera") == []
    history.close()


def test_changes_from_a_devices_own_thread_are_recorded(printer: SimulatedPrinter,
                                                        tmp_path: Path) -> None:
    from kiosk.maintenance.diagnostics import print_test_page
    from tests.conftest import fast_config

    history = DeviceHistory({"printer": printer})
    print_test_page(printer, fast_config(), "en")  # busy, then online, on the worker
    after = history.of("printer")
    assert [c.state for c in after] == ["online", "busy"]
    history.close()
    printer.set_offline(True)  # unsubscribed: not recorded
    assert history.of("printer") == after
