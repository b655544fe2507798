"""One run of the real app on a real X server (Xvfb), not the offscreen platform."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def x_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is installed by ./run (Debian package xvfb)"
    read, write = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_autopilot_on_a_real_x_server(tmp_path: Path, x_display: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",
                                                             "WAYLAND_DISPLAY")}
    env.update(DISPLAY=x_display, KIOSK_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", "--autopilot", "ssm.voucher-print",
         "--out", str(tmp_path / "out"), "--card", "C0000002"],
        env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["outcome"] == "completed" and len(report["documents"]) == 1
    log = (tmp_path / "home" / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "Qt platform xcb" in log


def test_the_demo_runs_on_x_and_ctrl_c_ends_it(tmp_path: Path, x_display: str) -> None:
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",
                                                             "WAYLAND_DISPLAY")}
    env.update(DISPLAY=x_display, KIOSK_HOME=str(tmp_path / "home"))
    demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "home" / "logs" / "kiosk.log"
    try:
        deadline = time.monotonic() + 60
        # Polling the log of a program that is starting: bounded, no fixed sleep.
        while not (log.exists() and "kiosk on screen" in log.read_text(encoding="utf-8")):
            assert demo.poll() is None, demo.stderr.read() if demo.stderr else ""
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.1)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=20) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    assert "Traceback" not in (demo.stderr.read() if demo.stderr else "")
