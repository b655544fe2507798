"""One run of the real app on a real X server (Xvfb), not the offscreen platform."""

from __future__ import annotations

import json
import os
import re
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


def on_x(display: str, home: Path) -> dict[str, str]:
    """This environment, with the kiosk's windows going to ``display`` (not the
    offscreen platform the other UI tests use) and its state under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",
                                                             "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, KIOSK_HOME=str(home))
    return env


def test_autopilot_on_a_real_x_server(tmp_path: Path, x_display: str) -> None:
    env = on_x(x_display, tmp_path / "home")
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

    env = on_x(x_display, tmp_path / "home")
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


def _start_button_centre() -> tuple[int, int]:
    """Where the attract screen's Start button is on a 1920×1080 screen: the same
    window laid out offscreen in this process (the real one is full screen at 0,0)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QPushButton

    from kiosk.journey import View
    from kiosk.ui.theme import DESIGN_SIZE
    from kiosk.ui.window import KioskWindow

    window = KioskWindow(["zh-Hant", "pt", "en"], ["card_reader"], {})
    window.setFixedSize(*DESIGN_SIZE)
    window.show()
    window.render(View("attract", "zh-Hant", {}))
    button = window.findChild(QPushButton, "act:start")
    centre = button.mapTo(window, QPoint(button.width() // 2, button.height() // 2))
    window.close()
    return centre.x(), centre.y()


def test_on_a_real_x_server_escape_keys_do_nothing_and_a_real_tap_starts(
        qapp, tmp_path: Path, x_display: str) -> None:
    """The demo as a citizen meets it: full screen and frameless on a real X
    server; Escape, Alt+F4, Ctrl+Q and Alt+Tab typed through X leave it running;
    a pointer click on Start (a real X event) begins a session."""
    import time

    x, y = _start_button_centre()
    env = on_x(x_display, tmp_path / "home")
    demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "home" / "logs" / "kiosk.log"

    def logged(text: str) -> bool:
        return log.exists() and text in log.read_text(encoding="utf-8")

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 60
        # Polling the log of a separate program: bounded, no fixed sleep.
        while not logged(text):
            assert demo.poll() is None, demo.stderr.read() if demo.stderr else ""
            assert time.monotonic() < deadline, f"never logged: {text}"
            time.sleep(0.1)

    def xdotool(*args: str) -> str:
        return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                              check=True, timeout=20).stdout

    try:
        wait_for("kiosk on screen")
        window = xdotool("search", "--sync", "--onlyvisible", "--class", "kiosk").split()[0]
        info = subprocess.run(["xwininfo", "-id", window], env=env, capture_output=True,
                              text=True, check=True, timeout=20).stdout
        assert not re.search(r"session \w+ started", log.read_text(encoding="utf-8"))
        assert "Width: 1920" in info and "Height: 1080" in info
        assert "Absolute upper-left X:  0" in info and "Absolute upper-left Y:  0" in info
        for keys in ("Escape", "alt+F4", "ctrl+q", "ctrl+w", "alt+Tab", "super"):
            xdotool("key", "--window", window, keys)
        xdotool("mousemove", "--sync", str(x), str(y), "click", "1")
        wait_for(" started")  # the tap reached the journey, through all of X
        assert re.search(r"session \w+ started", log.read_text(encoding="utf-8"))
        assert demo.poll() is None, "an escape key ended the kiosk"
    finally:
        demo.send_signal(subprocess.signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()


def test_under_systemd_the_kiosk_says_ready_pings_the_watchdog_and_says_stopping(
        tmp_path: Path, x_display: str) -> None:
    """The notify socket systemd gives a Type=notify service with WatchdogSec
    (packaging/systemd/kiosk.service), played by a datagram socket bound here."""
    import socket

    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(60)
        env = {**on_x(x_display, tmp_path / "home"), "NOTIFY_SOCKET": path,
               "WATCHDOG_USEC": "400000"}  # a ping every 0.2 s
        env.pop("WATCHDOG_PID", None)
        demo = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            said = [sock.recv(4096).decode() for _ in range(3)]
            assert said[0] == "READY=1" and said[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
            demo.send_signal(subprocess.signal.SIGINT)
            rest = []
            while "STOPPING=1" not in rest:
                rest.append(sock.recv(4096).decode())
            assert demo.wait(timeout=20) == 0
        finally:
            if demo.poll() is None:
                demo.kill()
