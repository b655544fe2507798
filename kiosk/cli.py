"""The ``kiosk`` command: demo, sandbox, services, config, audit, card, devices, face,
maintenance, print, queue, ui."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import ConfigError, config_path, data_dir, load
from kiosk.i18n import LANGUAGES
from kiosk.memory import limit_heap_arenas

if TYPE_CHECKING:  # the app and Qt load only for the commands that need them
    from kiosk.app import Terminal

HEADLESS_HELP = """\
kiosk: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).
  On a desktop, run it there; on a server, under a virtual screen:
      xvfb-run -s "-screen 0 1920x1080x24" ./run demo --windowed
  or run a scripted citizen headless, which saves every screen as PNG:
      QT_QPA_PLATFORM=offscreen ./run demo --autopilot ssm.voucher-print --out out/
"""


def main(argv: list[str] | None = None) -> int:
    # Before any thread starts: a kiosk runs for months (kiosk/memory.py).
    limit_heap_arenas()
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    _config_warnings_to_stderr()
    try:
        # The file given, else the data directory's terminal.toml (where settings
        # saved from the screen of a kiosk started without one go), else defaults.
        args.config = config_path(args.config)
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"kiosk: configuration error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


class _ConfigWarnings(logging.Handler):
    """A config file of an old version works, with a warning to migrate it. The
    kiosk's own log starts only after the config is read, so the warning goes to
    stderr (the journal, under systemd); sys.stderr is looked up when it is used."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"kiosk: {record.getMessage()}", file=sys.stderr)


def _config_warnings_to_stderr() -> None:
    logger = logging.getLogger("kiosk.config")
    if not any(isinstance(h, _ConfigWarnings) for h in logger.handlers):
        handler = _ConfigWarnings(logging.WARNING)
        logger.addHandler(handler)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="Government self-service kiosk")
    p.add_argument("--config", type=Path, default=os.environ.get("KIOSK_CONFIG"),
                   help="terminal config (TOML); default: terminal.toml in the data "
                        "directory if there is one, else built-in demo settings")
    sub = p.add_subparsers(metavar="COMMAND")

    demo = sub.add_parser("demo", help="the kiosk on simulated devices and the sandbox")
    demo.add_argument("--windowed", action="store_true", help="a normal window, not full screen")
    demo.add_argument("--lang", choices=LANGUAGES, help="start language")
    demo.add_argument("--backend", metavar="URL", help="use this gateway, not the embedded one")
    demo.add_argument("--autopilot", metavar="SERVICE_ID", help="run a scripted citizen")
    demo.add_argument("--out", type=Path, help="autopilot: where screens and documents go")
    demo.add_argument("--card", default="C0000001", help="autopilot: demo card to insert")
    demo.set_defaults(func=_demo)

    sandbox = sub.add_parser("sandbox", help="the sandbox gateway")
    sandbox_sub = sandbox.add_subparsers(metavar="ACTION")
    serve = sandbox_sub.add_parser("serve", help="run the sandbox gateway in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--tls-dir", type=Path, metavar="DIR",
                       help="serve https, requiring a terminal's client certificate; a test "
                            "CA and certificates are made in DIR if it has none")
    serve.set_defaults(func=_sandbox_serve)

    services = sub.add_parser("services", help="installed services")
    services_sub = services.add_subparsers(metavar="ACTION")
    listing = services_sub.add_parser("list", help="every loaded service")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_services_list)

    from kiosk.cli_audit import add_audit_commands
    from kiosk.cli_bench import add_bench_commands
    from kiosk.cli_card import add_card_commands
    from kiosk.cli_config import add_config_commands
    from kiosk.cli_devices import add_devices_commands
    from kiosk.cli_diagnostics import add_diagnostics_commands
    from kiosk.cli_face import add_face_commands
    from kiosk.cli_maintenance import add_maintenance_commands
    from kiosk.cli_print import add_print_commands
    from kiosk.cli_queue import add_queue_commands
    from kiosk.cli_run import add_run_commands
    from kiosk.cli_soak import add_soak_commands
    from kiosk.cli_ui import add_ui_commands

    add_audit_commands(sub)
    add_bench_commands(sub)
    add_card_commands(sub)
    add_config_commands(sub)
    add_devices_commands(sub)
    add_diagnostics_commands(sub)
    add_face_commands(sub)
    add_maintenance_commands(sub)
    add_print_commands(sub)
    add_queue_commands(sub)
    add_run_commands(sub)
    add_soak_commands(sub)
    add_ui_commands(sub)
    return p


def _demo(args: argparse.Namespace) -> int:
    config = load(args.config)
    if args.autopilot:
        if args.out is None:
            print("kiosk: --autopilot needs --out DIR", file=sys.stderr)
            return 2
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    else:
        from kiosk.ui.run import has_display

        if not has_display():
            print(HEADLESS_HELP, file=sys.stderr)
            return 2
    from kiosk.logs import setup_logging

    setup_logging(config, data_dir(config.terminal.data_dir or None))
    from kiosk.app import build_terminal

    # config_path: settings a technician saves in maintenance go back to that file.
    terminal = build_terminal(config, backend_url=args.backend, config_path=args.config)
    try:
        if args.autopilot:
            return _autopilot(terminal, args)
        from kiosk.ui.run import run

        code = run(terminal, windowed=args.windowed, lang=args.lang)
    finally:
        terminal.close()
    from kiosk.cli_run import restart_if_asked

    return restart_if_asked(code)


def _autopilot(terminal: Terminal, args: argparse.Namespace) -> int:
    from kiosk.ui.autopilot import Autopilot
    from kiosk.ui.run import application, build_kiosk, watch_backend
    from kiosk.ui.theme import DESIGN_SIZE

    if args.autopilot not in {s.id for s in terminal.services}:
        print(f"kiosk: no enabled service {args.autopilot!r}", file=sys.stderr)
        return 2
    app = application()
    kiosk = build_kiosk(terminal, lang=args.lang)
    kiosk.window.setFixedSize(*DESIGN_SIZE)  # every screenshot the kiosk's own size
    kiosk.window.show()
    sync = terminal.start_sync()
    monitor = watch_backend(kiosk, terminal.connectivity_probe(),
                            (lambda: sync.wake(retry_now=True)) if sync is not None else None)
    printer = terminal.devices["printer"]
    pilot = Autopilot(kiosk, args.autopilot, args.out, lang=args.lang or "zh-Hant",
                      card=args.card, printed_dir=getattr(printer, "out_dir", None))
    pilot.start()
    app.exec()
    monitor.stop()
    kiosk.host.shutdown()
    print(pilot.result.to_json())
    return 0 if pilot.result.outcome == "completed" else 1


def _sandbox_serve(args: argparse.Namespace) -> int:
    from kiosk.sandbox.server import sandbox_tls, serve

    config = load(args.config)
    home = data_dir(config.terminal.data_dir or None)
    tls = None if args.tls_dir is None else sandbox_tls(args.tls_dir, args.host, args.port)
    serve(home / "sandbox" / "gateway.db", args.host, args.port, tls=tls)
    return 0


def _services_list(args: argparse.Namespace) -> int:
    from kiosk.services.registry import load_services

    registry = load_services()
    rows = [{"id": s.id, "department": s.department, "titles": dict(s.titles),
             "needs": sorted(n.value for n in s.needs), "offline": s.offline.value,
             **({"broken": s.broken} if s.broken else {})}
            for s in sorted(registry.catalog.values(), key=lambda s: s.id)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['id']:<32} {r['offline']:<7} {','.join(r['needs']):<28} "
                  f"{r['titles']['en']}")
    # Plugins that failed to load are reported, never fatal.
    for f in registry.failures:
        print(f"kiosk: service plugin {f.entry_point} ({f.distribution}) failed to load: "
              f"{f.error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
