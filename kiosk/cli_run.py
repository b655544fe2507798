"""``kiosk --config FILE run``: the kiosk in production, as its systemd unit
starts it (packaging/kiosk-session).

The same kiosk as ``kiosk demo`` (the devices and gateway the config names,
full screen), with two differences: a config file is required, so a terminal
never serves citizens on the built-in demo settings by accident, and logging
is set up as ``[logging]`` says (the journal under systemd, docs/logs.md).
When the kiosk asks to be started again (settings saved in maintenance that
need a fresh start), the process re-executes itself in place.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from kiosk import package_version, sdnotify

# kiosk.ui.run.RESTART_EXIT_CODE (EX_TEMPFAIL), restated so this module loads without Qt.
RESTART_EXIT_CODE = 75

NO_CONFIG = """\
kiosk run: no configuration file. A terminal in service runs on its own config:
    kiosk --config /etc/kiosk/terminal.toml run      (or KIOSK_CONFIG=FILE)
To try the kiosk on the built-in demo settings, run `kiosk demo`.
"""


def add_run_commands(sub: Any) -> None:
    run = sub.add_parser("run", help="the kiosk in service (needs --config FILE)")
    run.add_argument("--windowed", action="store_true",
                     help="a normal window, not full screen (a bench test)")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from kiosk.config import data_dir, load
    from kiosk.logs import setup_logging

    if args.config is None:
        print(NO_CONFIG, file=sys.stderr, end="")
        return 2
    config = load(args.config)
    from kiosk.ui.run import has_display

    if not has_display():
        print("kiosk run: no display (neither WAYLAND_DISPLAY nor DISPLAY is set); under "
              "systemd, cage provides it (packaging/kiosk-session)", file=sys.stderr)
        return 2
    home = data_dir(config.terminal.data_dir or None)
    setup_logging(config, home)
    log = logging.getLogger(__name__)
    log.info("kiosk %s starting: terminal %s, config %s", package_version() or "unknown",
             config.terminal.id, args.config)
    if not config.terminal.production:
        # Say so where field staff look: this terminal may run on demo parts
        # (terminal.production = true refuses them, docs/configuration.md).
        log.warning("terminal.production is false: not checked for demo settings "
                    "(sandbox, simulators); a terminal serving citizens sets it to true")
    from kiosk.app import build_terminal
    from kiosk.ui.run import run

    # config_path: settings a technician saves in maintenance go back to this file.
    terminal = build_terminal(config, config_path=args.config)
    try:
        code = run(terminal, windowed=args.windowed)
    finally:
        terminal.close()
    log.info("kiosk stopped (exit %d)", code)
    return restart_if_asked(code)


def restart_if_asked(code: int) -> int:
    """``code``, unless it is ``RESTART_EXIT_CODE``: then this process becomes a
    fresh kiosk (``os.execv`` of the same command line) and never returns.

    In place, not by exiting for systemd to restart: the PID stays the one
    kiosk-session claimed for the watchdog, cage keeps the screen, and a
    restart asked for on purpose does not count against the unit's start limit.
    """
    if code != RESTART_EXIT_CODE:
        return code
    logging.getLogger(__name__).info("restarting, as asked")
    for handler in logging.getLogger().handlers:
        handler.flush()
    # Under systemd: reloading, not stopping; the new kiosk says READY=1 again.
    sdnotify.notify("RELOADING=1\nSTATUS=restarting for new settings")
    sys.stdout.flush()
    sys.stderr.flush()
    # sys.orig_argv is the interpreter's own command line (`python -m kiosk.cli ...`
    # or the console script's path), so both re-execute as they started.
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


