"""The `kiosk` command as a person runs it: the autopilot demo, the sandbox, the help."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiosk.sandbox import db as sandbox_db

ROOT = Path(__file__).resolve().parent.parent
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(KIOSK_HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    return env


def run_autopilot(home: Path, out: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = subprocess.run(
        [*KIOSK, "demo", "--autopilot", "ssm.voucher-print", "--out", str(out), *args],
        env=kiosk_env(home), capture_output=True, text=True, timeout=180)
    assert result.stdout.strip(), result.stderr
    return result, json.loads(result.stdout)


def barcodes(pdf: Path, tmp: Path) -> list[str]:
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp / "page")], check=True)
    found: list[str] = []
    for page in sorted(tmp.glob("page*.png")):
        scan = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True,
                              text=True)
        found += scan.stdout.split()
    return found


def test_autopilot_prints_vouchers_that_scan(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    result, report = run_autopilot(home, out, "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert report["service"] == "ssm.voucher-print"
    assert report["outcome"] == "completed"
    screens = report["screens"]
    kinds = [name.split("-", 1)[1].removesuffix(".png") for name in screens]
    for expected in ("attract", "language", "catalog", "read_card-insert_card",
                     "verify_face-face", "choose-quantity", "print-progress", "finish-done"):
        assert expected in kinds
    assert kinds[0] == "attract" and kinds[-1] == "attract"
    for name in screens:
        head = (out / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(head[16:20], "big") == 1920
        assert int.from_bytes(head[20:24], "big") == 1080
    assert set(report["wait_s"]) >= {"read_card", "verify_face", "issue", "print"}
    assert report["total_wait_s"] == pytest.approx(sum(report["wait_s"].values()), abs=0.01)
    [document] = report["documents"]
    pdf = out / document
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "醫療券" in text and "Health Voucher" in text
    serials = sandbox_db.issued_serials(home / "sandbox" / "embedded-gateway.db")
    assert len(serials) == 6
    flat = text.replace(" ", "")
    assert all(s in flat for s in serials)
    assert sorted(barcodes(pdf, tmp_path)) == sorted(serials)
    # Nothing personal in the terminal's log.
    log = (home / "logs" / "kiosk.log").read_text(encoding="utf-8")
    for secret in ("陳大文", "CHAN, TAI MAN", "5215299"):
        assert secret not in log


def test_autopilot_against_a_gateway_running_elsewhere(tmp_path: Path, sandbox) -> None:
    result, report = run_autopilot(tmp_path / "home", tmp_path / "out", "--backend",
                                   sandbox.url, "--card", "C0000003", "--lang", "pt")
    assert result.returncode == 0, result.stderr
    assert sandbox_db.vouchers_available(sandbox.db_path, "C0000003") == 0
    assert len(sandbox_db.issued_serials(sandbox.db_path, "C0000003")) == 3
    assert not (tmp_path / "home" / "sandbox" / "embedded-gateway.db").exists()
    assert report["outcome"] == "completed"


def test_autopilot_exits_non_zero_when_the_service_fails(tmp_path: Path, sandbox) -> None:
    # C0000004 has no vouchers left: the citizen is told, the service does not complete.
    result, report = run_autopilot(tmp_path / "home", tmp_path / "out", "--backend",
                                   sandbox.url, "--card", "C0000004")
    assert result.returncode == 1
    assert report["outcome"] == "failed"
    assert report["reason"] == "ssm.vouchers.none_left"
    assert report["documents"] == []
    assert any(name.endswith("choose-error.png") for name in report["screens"])


def test_demo_without_a_display_says_how_to_run_headless(tmp_path: Path) -> None:
    env = kiosk_env(tmp_path)
    env.pop("QT_QPA_PLATFORM")
    result = subprocess.run([*KIOSK, "demo"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "xvfb-run" in result.stderr and "--autopilot" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sandbox_serve_runs_alone(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([*KIOSK, "sandbox", "serve", "--port", str(port)],
                            env=kiosk_env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)  # polling a server that is starting, not a stand-in for a signal
        assert reply.json()["status"] == "ok"
        spec = requests.get(f"http://127.0.0.1:{port}/v1/openapi.json", timeout=2).json()
        assert "/v1/ssm/vouchers/issue" in spec["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
