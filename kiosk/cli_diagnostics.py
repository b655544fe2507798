"""``kiosk diagnostics bundle [--out DIR] [--devices]``: the redacted diagnostics
bundle (``kiosk.maintenance.bundle``), for a technician to carry to the vendor.

Without ``--out`` it goes to ``[maintenance] export_dir``, or to the first USB
stick mounted under /media or /run/media; with none, it says so and exits 1.
The export is recorded in the audit log (data leaving the terminal is an act).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_diagnostics_commands(sub: Any) -> None:
    diagnostics = sub.add_parser("diagnostics", help="a redacted diagnostics bundle")
    diagnostics_sub = diagnostics.add_subparsers(metavar="ACTION")
    bundle = diagnostics_sub.add_parser(
        "bundle", help="write the bundle (.tar.gz) to a USB stick or --out DIR")
    bundle.add_argument("--out", type=Path, metavar="DIR",
                        help="this directory instead of [maintenance] export_dir or a USB stick")
    bundle.add_argument("--devices", action="store_true",
                        help="open the devices to include their status (only while the "
                             "kiosk is stopped: a device serves one program at a time)")
    bundle.set_defaults(func=_bundle)


def _target(args: argparse.Namespace, export_dir: str) -> Path | None:
    from kiosk.maintenance.bundle import usb_targets

    if args.out is not None:
        if not args.out.is_dir():
            print(f"kiosk: {args.out} is not a directory", file=sys.stderr)
            return None
        return args.out
    targets = usb_targets(export_dir)
    if not targets:
        where = (f"the export directory {export_dir} ([maintenance] export_dir) is not a "
                 "writable directory" if export_dir else
                 "no writable USB stick is mounted under /media or /run/media")
        print(f"kiosk: nowhere to write the bundle: {where}; insert a stick (mounted "
              "read-write) or pass --out DIR", file=sys.stderr)
        return None
    return targets[0]


def _bundle(args: argparse.Namespace) -> int:
    from kiosk.cli_audit import record
    from kiosk.config import data_dir, load
    from kiosk.maintenance.bundle import write_bundle

    config = load(args.config)
    target = _target(args, config.maintenance.export_dir)
    if target is None:
        return 1
    home = data_dir(config.terminal.data_dir or None)
    devices: dict[str, Any] | None = None
    if args.devices:
        from kiosk.app import build_devices

        devices = build_devices(config, home)
    try:
        path = write_bundle(config, home, target, devices=devices)
    except OSError as e:  # the stick full, read-only or pulled
        print(f"kiosk: the bundle could not be written to {target}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    finally:
        for device in (devices or {}).values():
            device.close()
    try:
        record(config, "diagnostics.export", file=path.name, size=path.stat().st_size)
    except Exception as e:  # the bundle stands; say it went unrecorded
        print(f"kiosk: bundle written but not recorded in the audit log: {e}", file=sys.stderr)
    print(path)
    return 0
