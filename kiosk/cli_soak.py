"""``kiosk soak``: a thousand journeys with faults injected at random, on
simulated devices and a sandbox of its own (docs/soak.md)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.ui.soak import Journey, SoakReport


def add_soak_commands(sub: Any) -> None:
    soak = sub.add_parser("soak", help="journeys with random faults: crashes, stuck screens, "
                                       "leaks, personal data in logs")
    soak.add_argument("--journeys", type=int, default=1000)
    soak.add_argument("--seed", type=int, default=1, help="the same seed, the same run")
    soak.add_argument("--out", type=Path, required=True,
                      help="where its kiosk home, logs and report go")
    soak.add_argument("--json", action="store_true", help="the whole report as JSON")
    soak.set_defaults(func=_soak)


def soak_config(home: Path) -> Any:
    """Simulated devices that do not dawdle, short backend timeouts (a fault
    costs seconds, not minutes), no fleet endpoint (a second soak may run)."""
    from kiosk.config import BackendConfig, Config, DeviceConfig, TerminalConfig
    from kiosk.config.schema import FleetConfig

    return Config(
        terminal=TerminalConfig(data_dir=str(home)),
        backend=BackendConfig(connect_timeout_s=1.0, read_timeout_s=2.0, retries=1),
        fleet=FleetConfig(metrics_listen="", heartbeat_s=0),
        devices={"card_reader": DeviceConfig(options={"read_delay_s": 0.05}),
                 "camera": DeviceConfig(options={"fps": 30}),
                 "printer": DeviceConfig(options={"seconds_per_page": 0.0})})


def start_sandbox(home: Path) -> tuple[subprocess.Popen[str], str]:
    """``kiosk sandbox serve`` in a process of its own (its database and its
    threads are not the kiosk's memory), on a free port; its URL once it listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sandbox", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**{k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"},
             "KIOSK_HOME": str(home)})
    assert process.stdout is not None
    line = process.stdout.readline()  # "Sandbox gateway listening on URL (...)"
    if "listening on" not in line:
        process.kill()
        raise RuntimeError(f"the sandbox did not start: {line.strip()!r}")
    return process, line.split("listening on ", 1)[1].split()[0]


def run_soak(journeys: int, seed: int, out: Path, *, services: Sequence[str] | None = None,
             progress: Callable[[Journey], None] | None = None) -> SoakReport:
    """Build a kiosk on its own sandbox under ``out``, soak it, scan its logs."""
    from kiosk.app import build_terminal
    from kiosk.logs import log_uncaught_exceptions
    from kiosk.ui.run import application, build_kiosk
    from kiosk.ui.soak import SandboxFaults, Soak, scan_logs
    from kiosk.ui.theme import DESIGN_SIZE

    out.mkdir(parents=True, exist_ok=True)
    home = out / "home"
    config = soak_config(home)
    # Everything the kiosk logs, at every level, is kept to be searched afterwards.
    log_file = out / "soak-kiosk.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.DEBUG
    sandbox, url = start_sandbox(out / "sandbox")
    faults = SandboxFaults(url)
    terminal = build_terminal(config, backend_url=url)
    application()
    kiosk = build_kiosk(terminal, lang=config.terminal.default_language)
    # An exception in a Qt slot or a thread is a logged ERROR, a problem of the
    # run, not a line on stderr nobody reads (kiosk run does the same).
    hooks = sys.excepthook, threading.excepthook
    log_uncaught_exceptions()
    try:
        kiosk.window.setFixedSize(*DESIGN_SIZE)
        kiosk.window.show()
        kiosk.journey.start()
        report = Soak(kiosk, terminal, faults, journeys=journeys, seed=seed, out=out,
                      services=services, progress=progress).run()
    finally:
        kiosk.host.shutdown()
        kiosk.window.close()
        terminal.close()
        faults.close()
        sandbox.terminate()
        sandbox.wait(timeout=30)
        root.removeHandler(handler)
        root.level = level
        handler.close()
        sys.excepthook, threading.excepthook = hooks
    report.leaks = scan_logs([log_file, *sorted((home / "logs").glob("*"))])
    return report


def _soak(args: argparse.Namespace) -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    def progress(j: Journey) -> None:
        if not args.json and (j.n % 25 == 0 or j.n == args.journeys):
            print(f"{j.n:>5} journeys · {j.rss_kb / 1024:.1f} MB resident "
                  f"({j.heap_kb / 1024:.1f} MB heap in use) · {j.threads} threads · {j.fds} fds",
                  file=sys.stderr, flush=True)

    report = run_soak(args.journeys, args.seed, args.out, progress=progress)
    (args.out / "soak-report.json").write_text(report.to_json(), encoding="utf-8")
    summary = report.summary()
    if args.json:
        print(report.to_json())
    else:
        import json

        print(json.dumps(summary, indent=1))
    return 0 if not summary["problems"] else 1
