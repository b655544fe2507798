"""``kiosk devices status|test``: what field staff run, on simulators and real drivers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

from kiosk.devices.pcscd_daemon import FRIENDLY_NAME
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import demo_profile

pytest_plugins = ["tests.pcsc_fixtures"]

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk(home: Path, *args: str, config: str | None = None) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    extra: list[str] = []
    if config is not None:
        (home / "terminal.toml").write_text(config, encoding="utf-8")
        extra = ["--config", str(home / "terminal.toml")]
    return subprocess.run([*KIOSK, *extra, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KIOSK_HOME": str(home)})


def test_status_of_every_device(tmp_path: Path) -> None:
    done = kiosk(tmp_path, "devices", "status", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert set(rows) == {"card_reader", "camera", "printer", "speaker"}
    assert all(r["usable"] and r["device"] == "online" and r["simulated"] for r in rows.values())
    assert rows["printer"]["paper"] == "full" and rows["card_reader"]["media"] == "absent"


def test_a_printer_out_of_paper_fails_status_and_test(tmp_path: Path) -> None:
    config = "[devices.printer]\nsheets = 0\n"
    status = kiosk(tmp_path, "devices", "status", config=config)
    assert status.returncode == 1 and "paper_out" in status.stdout
    test = kiosk(tmp_path, "devices", "test", "printer", config=config)
    assert test.returncode == 1 and "FAIL" in test.stdout and "paper_out" in test.stdout
    assert "Traceback" not in test.stderr


def test_printer_camera_and_an_unknown_device(tmp_path: Path) -> None:
    printed = kiosk(tmp_path, "devices", "test", "printer", "--json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["passed"]
    assert len(list((tmp_path / "printed").glob("*test-page*.pdf"))) == 1
    camera = json.loads(kiosk(tmp_path, "devices", "test", "camera", "--json").stdout)
    assert camera["passed"] and "640×480" in camera["detail"]
    unknown = kiosk(tmp_path, "devices", "test", "toaster")
    assert unknown.returncode == 2 and "card_reader, camera, printer, speaker" in unknown.stderr


def test_selftest_checks_every_device_without_printing(tmp_path: Path) -> None:
    done = kiosk(tmp_path, "devices", "selftest", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["device"]: r for r in json.loads(done.stdout)}
    assert set(rows) == {"card_reader", "camera", "printer", "speaker"}
    assert all(r["passed"] and r["driver"] == "simulator" for r in rows.values())
    assert rows["printer"]["values"] == {"paper": "full"}
    assert not (tmp_path / "printed").exists() or not list((tmp_path / "printed").iterdir())
    broken = kiosk(tmp_path, "devices", "selftest", config="[devices.printer]\nsheets = 0\n")
    assert broken.returncode == 1
    assert "printer: FAIL — printer not usable: paper_out" in broken.stdout
    assert "camera: PASS" in broken.stdout


def test_the_real_speaker_speaks_each_language_and_chimes(tmp_path: Path) -> None:
    out = tmp_path / "sound"
    config = f'[devices.speaker]\ndriver = "espeak"\noutput = "dir:{out}"\n'
    done = kiosk(tmp_path, "devices", "test", "speaker", config=config)
    assert done.returncode == 0, done.stdout + done.stderr
    files = sorted(out.glob("*.wav"))
    assert [f.name.split("-", 1)[1] for f in files] == [
        "say-zh-Hant.wav", "say-pt.wav", "say-en.wav", "chime-reminder.wav"]
    with wave.open(str(files[0])) as w:
        assert w.getnframes() / w.getframerate() > 0.5


def test_a_card_in_a_real_pcsc_reader_is_read_and_verified(tmp_path: Path, insert_card,
                                                          live_pcscd) -> None:
    config = f'[devices.card_reader]\ndriver = "pcsc"\nreader = "{FRIENDLY_NAME}"\n'
    citizen = DEMO_CITIZENS[1]
    insert_card(demo_profile(citizen))
    done = kiosk(tmp_path, "devices", "test", "card_reader", "--wait", "30", config=config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "card read and verified" in done.stdout
    assert citizen.name_latin not in done.stdout and citizen.id_number not in done.stdout


def test_a_forged_card_is_read_and_said_not_to_verify(tmp_path: Path, insert_card,
                                                     live_pcscd) -> None:
    config = f'[devices.card_reader]\ndriver = "pcsc"\nreader = "{FRIENDLY_NAME}"\n'
    insert_card(demo_profile(DEMO_CITIZENS[1], defect="bad-signature"))
    done = kiosk(tmp_path, "devices", "test", "card_reader", "--wait", "30", config=config)
    assert done.returncode == 0 and "does not verify (bad_signature)" in done.stdout


def test_config_show_hides_the_credential(tmp_path: Path) -> None:
    shown = kiosk(tmp_path, "config", "show",
                  config='[backend]\nurl = "https://gw.example"\nterminal_token = "s3cr3t"\n')
    assert shown.returncode == 0
    data = json.loads(shown.stdout)
    assert data["backend"]["url"] == "https://gw.example"
    assert data["backend"]["terminal_token"] == "(set, hidden)" and "s3cr3t" not in shown.stdout
