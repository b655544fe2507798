"""Every one of the 28 services through the real UI (offscreen), as `kiosk demo
--autopilot ID` runs it: a scripted citizen taps the buttons by name, reads the
SMS code off the demo phone, pays with the demo wallet, and takes the papers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.journey.host import ManualClock
from kiosk.services.registry import load_services
from kiosk.ui.autopilot import Autopilot
from kiosk.ui.run import build_kiosk
from kiosk.ui.theme import DESIGN_SIZE
from tests.test_services_journey import PRINTS

SERVICES = sorted(load_services().services)


@pytest.mark.parametrize("service_id", SERVICES)
def test_the_autopilot_completes_every_service(qtbot, terminal, tmp_path: Path,
                                               service_id: str, monkeypatch) -> None:
    # The CLI's autopilot ends the app's event loop when done; here there is none to end.
    monkeypatch.setattr(QApplication, "exit", staticmethod(lambda code=0: None))
    kiosk = build_kiosk(terminal, lang="en", clock=ManualClock())
    qtbot.addWidget(kiosk.window)
    kiosk.window.setFixedSize(*DESIGN_SIZE)
    kiosk.window.show()
    out = tmp_path / "out"
    pilot = Autopilot(kiosk, service_id, out, lang="pt", tap_delay_s=0.0,
                      printed_dir=Path(terminal.devices["printer"].out_dir), timeout_s=60)
    try:
        pilot.start()
        qtbot.waitUntil(lambda: pilot.finished, timeout=90_000)
    finally:
        kiosk.host.shutdown()
    result = pilot.result
    assert result.outcome == "completed", (result.reason, result.screens)
    # What SERVICES.md says the citizen leaves with, and every screen photographed.
    assert len(result.documents) == PRINTS[service_id]
    assert len(result.screens) >= 4
    for name in result.documents:
        text = subprocess.run(["pdftotext", str(out / name), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert text.strip()
