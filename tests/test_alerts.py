"""Field staff hear about paper running low before it runs out, and when it is fixed."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.devices.alerts import DeviceAlerts, read_alerts
from kiosk.devices.printer import SimulatedPrinter


def test_paper_low_warns_then_out_then_clears(tmp_path: Path, caplog) -> None:
    printer = SimulatedPrinter(tmp_path / "out", sheets=100, low_at=10, seconds_per_page=0)
    path = tmp_path / "state" / "alerts.json"
    try:
        with caplog.at_level(logging.INFO, logger="kiosk.devices.alerts"):
            alerts = DeviceAlerts([printer], path)
            assert alerts.active == [] and not path.exists()
            printer.load_paper(8)
            [low] = alerts.active
            assert (low.device, low.condition, low.severity) == ("printer", "paper_low",
                                                                 "warning")
            assert [a.condition for a in read_alerts(path)] == ["paper_low"]
            printer.load_paper(0)
            assert [(a.condition, a.severity) for a in alerts.active] == [("paper_out", "error")]
            printer.set_cover_open(True)
            assert {a.condition for a in alerts.active} == {"paper_out", "cover_open"}
            printer.set_cover_open(False)
            printer.load_paper(500)
            assert alerts.active == [] and read_alerts(path) == []
        messages = [r.getMessage() for r in caplog.records]
        assert "ALERT warning: printer paper_low" in messages
        assert "ALERT error: printer paper_out" in messages
        assert "ALERT cleared: printer paper_low" in messages
        # Once per change, not once per status event.
        assert messages.count("ALERT warning: printer paper_low") == 1
    finally:
        printer.close()


def test_a_terminal_starts_with_its_alerts(terminal) -> None:
    assert terminal.alerts is not None and terminal.alerts.active == []
    terminal.devices["printer"].load_paper(3)
    assert [a.condition for a in terminal.alerts.active] == ["paper_low"]
    assert read_alerts(terminal.home / "state" / "alerts.json")[0].condition == "paper_low"


def test_an_unreadable_alerts_file_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "alerts.json").write_text("{not json")
    assert read_alerts(tmp_path / "alerts.json") == []
    assert read_alerts(tmp_path / "missing.json") == []
