"""Cards through the whole stack on real pcscd + vpcd: the `kiosk card` tools, every
defect refused with its own reason, and the kiosk journey on a PC/SC reader."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from kiosk.app import build_terminal
from kiosk.config import Config, DeviceConfig, SessionConfig
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.pcscd_daemon import FRIENDLY_NAME
from kiosk.devices.status import Media
from kiosk.identity.verify import verify_card
from kiosk.journey import ManualHost
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import DEFECTS, demo_profile, sandbox_trust_store
from tests.card_helpers import WAIT, StatusLog, is_ready
from tests.conftest import journey_for

pytest_plugins = ["tests.pcsc_fixtures"]

FACES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "faces"
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "KIOSK_HOME": str(home)}
    return subprocess.run([*KIOSK, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("defect", [None, *sorted(DEFECTS)])
def test_every_card_over_pcsc_gets_its_verdict(pcsc_reader: PcscCardReader, insert_card,
                                               defect: str | None) -> None:
    log = StatusLog(pcsc_reader)
    card = insert_card(demo_profile(DEMO_CITIZENS[1], defect=defect))
    log.wait_for(is_ready(Media.PRESENT), "card present")
    read = pcsc_reader.read_card().result(timeout=WAIT)
    verdict = verify_card(read, sandbox_trust_store(), date.today())
    expected = "authentic" if defect is None else DEFECTS[defect]
    assert (verdict.authentic, verdict.reason) == (defect is None, expected)
    assert read.apdus == 6 and read.protocol == "T=1"
    card.remove()


def test_personalize_emulate_read_on_the_command_line(live_pcscd, tmp_path: Path) -> None:
    profile = tmp_path / "card.json"
    made = kiosk("card", "personalize", "--photo", str(FACES / "obama-1.jpg"), "--out",
                 str(profile), "--id-number", "1234567(8)", "--name-latin", "TEST, CARD",
                 home=tmp_path)
    assert made.returncode == 0, made.stderr
    photo_bytes = int(made.stdout.split("photo ")[1].split(" bytes")[0])
    assert 10 * 1024 <= photo_bytes <= 30 * 1024
    emulate = subprocess.Popen([*KIOSK, "card", "emulate", str(profile), "--port",
                                str(live_pcscd.port)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        read = kiosk("card", "read", "--reader", FRIENDLY_NAME, "--json", home=tmp_path)
        assert read.returncode == 0, read.stderr
        report = json.loads(read.stdout)
        assert report["authentic"] is True and report["reason"] == "authentic"
        assert report["identity"]["id_number"] == "1234***(8)"  # masked unless --show-id
        assert report["identity"]["name_latin"] == "TEST, CARD"
        assert report["photo"]["bytes"] == photo_bytes and len(report["photo"]["sha256"]) == 64
        assert report["apdus"] == 6 and report["atr"]
        shown = kiosk("card", "read", "--reader", FRIENDLY_NAME, "--json", "--show-id",
                      home=tmp_path)
        assert json.loads(shown.stdout)["identity"]["id_number"] == "1234567(8)"
    finally:
        emulate.send_signal(signal.SIGINT)  # stopping the emulator takes the card out
        assert emulate.wait(timeout=WAIT) == 0
    gone = kiosk("card", "read", "--reader", FRIENDLY_NAME, "--wait", "1.5", home=tmp_path)
    assert gone.returncode == 1 and "no card" in gone.stderr


def test_a_defect_from_the_command_line(live_pcscd, tmp_path: Path) -> None:
    profile = tmp_path / "cloned.json"
    assert kiosk("card", "personalize", "--photo", str(FACES / "biden-1.jpg"), "--out",
                 str(profile), "--defect", "cloned-chip", home=tmp_path).returncode == 0
    emulate = subprocess.Popen([*KIOSK, "card", "emulate", str(profile), "--port",
                                str(live_pcscd.port)], stdout=subprocess.PIPE, text=True)
    try:
        read = kiosk("card", "read", "--reader", FRIENDLY_NAME, "--json", home=tmp_path)
        report = json.loads(read.stdout)
        assert read.returncode == 1
        assert (report["authentic"], report["reason"]) == (False, "cloned_chip")
        assert report["identity"] is None  # nothing of a refused card is printed
    finally:
        emulate.send_signal(signal.SIGINT)
        emulate.wait(timeout=WAIT)


def test_the_journey_reads_a_card_over_pcsc(live_pcscd, kiosk_home, sandbox,
                                            tmp_path: Path) -> None:
    # The card runs in its own process (`kiosk card emulate`), as a real card is
    # not part of the kiosk's process.
    profile = tmp_path / "card.json"
    demo_profile(DEMO_CITIZENS[2]).save(profile)
    config = Config(
        session=SessionConfig(),
        devices={"card_reader": DeviceConfig("pcsc", {"reader": FRIENDLY_NAME,
                                                      "poll_s": 0.2}),
                 "camera": DeviceConfig(options={"fps": 60}),
                 "printer": DeviceConfig(options={"seconds_per_page": 0.0})})
    terminal = build_terminal(config, backend_url=sandbox.url)
    host = ManualHost()
    emulate = None
    try:
        journey = journey_for(terminal, host)
        reader = terminal.devices["card_reader"]
        # One card at a time: the previous test's card must be seen gone first
        # (vpcd notices a vanished card only at pcscd's next presence poll).
        host.pump(lambda: reader.status.usable and reader.status.media is Media.ABSENT,
                  timeout=WAIT)
        journey.start()
        journey.act("start")
        journey.act("choose_lang", "en")
        journey.act("service", "ssm.voucher-print")
        emulate = subprocess.Popen([*KIOSK, "card", "emulate", str(profile), "--port",
                                    str(live_pcscd.port)], stdout=subprocess.PIPE, text=True)
        host.pump(lambda: host.view.screen in ("quantity", "error"), timeout=30)
        if host.view.screen != "quantity":  # keep what pcscd saw, for whoever debugs it
            (tmp_path / "pcscd.log").write_text("\n".join(live_pcscd.log_tail))
        assert host.view.screen == "quantity", host.view
        assert host.view.data["maximum"] == DEMO_CITIZENS[2].vouchers_available
        assert host.reports == []
        emulate.send_signal(signal.SIGINT)  # the citizen pulls the card: session ends, wiped
        host.pump(lambda: bool(host.reports), timeout=WAIT)
        assert host.reports[-1].outcome == "card_removed"
    finally:
        if emulate is not None and emulate.poll() is None:
            emulate.send_signal(signal.SIGINT)
            emulate.wait(timeout=WAIT)
        terminal.close()
