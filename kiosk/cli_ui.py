"""``kiosk ui gallery``: every screen drawn to PNG, for people to look at."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kiosk.config import load
from kiosk.i18n import LANGUAGES


def add_ui_commands(sub: Any) -> None:
    ui = sub.add_parser("ui", help="the citizen's screens")
    ui_sub = ui.add_subparsers(metavar="ACTION")
    gallery = ui_sub.add_parser("gallery", help="draw every screen, language and mode to PNG")
    gallery.add_argument("--out", type=Path, required=True, help="folder for the pictures")
    gallery.add_argument("--lang", action="append", choices=LANGUAGES,
                         help="only this language (repeatable); default: all three")
    gallery.add_argument("--mode", action="append",
                         choices=("standard", "contrast", "large", "contrast+large"),
                         help="only this mode (repeatable); default: standard, contrast, large")
    gallery.add_argument("--json", action="store_true", help="print the report as JSON")
    gallery.set_defaults(func=_gallery)


def _gallery(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # pictures, not a window
    from kiosk.app import build_terminal
    from kiosk.ui.gallery import DEFAULT_MODES, render_gallery
    from kiosk.ui.run import application, build_kiosk
    from kiosk.ui.theme import DESIGN_SIZE

    terminal = build_terminal(load(args.config))
    try:
        application()
        kiosk = build_kiosk(terminal)
        kiosk.window.setFixedSize(*DESIGN_SIZE)
        kiosk.window.show()
        pictures = render_gallery(kiosk.window, kiosk.journey.catalog(), args.out,
                                  args.lang or LANGUAGES, args.mode or DEFAULT_MODES)
        kiosk.host.shutdown()
    finally:
        terminal.close()
    flawed = [p for p in pictures if p.problems]
    if args.json:
        print(json.dumps({"pictures": len(pictures), "flawed": len(flawed),
                          "index": str(args.out / "index.html")}, indent=1))
    else:
        print(f"{len(pictures)} pictures in {args.out} (open {args.out / 'index.html'})")
    for p in flawed:
        print(f"{p.path}: " + "; ".join(p.problems), file=sys.stderr)
    return 1 if flawed else 0
