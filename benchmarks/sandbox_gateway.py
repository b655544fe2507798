"""The sandbox gateway as its own process, for benchmarks that must not share
the measured process's GIL with it (as a real gateway would not)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandbox_process(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``kiosk sandbox serve`` on a free loopback port with its state
    under ``home``; return the process and its URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sandbox", "serve", "--port",
                             str(port)], env={**os.environ, "KIOSK_HOME": str(home)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline, tick = time.monotonic() + 30, threading.Event()
    while True:
        try:
            requests.get(f"{url}/v1/health", timeout=1).raise_for_status()
            return proc, url
        except requests.RequestException:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit("the sandbox gateway did not start") from None
            tick.wait(0.05)
