"""``kiosk devices status|test|selftest``: the field engineer's view of the terminal's devices.

Run on a terminal whose kiosk is stopped (or, once it exists, in maintenance
mode): a camera or a printer serves one program at a time. ``status`` says, for
each device, its driver, state and what a technician should do about it;
``test NAME`` exercises one device end to end and says pass or fail, with the
exit code to match (0 pass, 1 fail, 2 no such device); ``selftest`` is the
quick check the kiosk runs before it returns to service. The tests themselves
are ``kiosk.maintenance.diagnostics``, which the maintenance screens run too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from kiosk.config import data_dir, load


def add_devices_commands(sub: Any) -> None:
    devices = sub.add_parser("devices", help="the terminal's devices, for field staff")
    devices_sub = devices.add_subparsers(metavar="ACTION")
    status = devices_sub.add_parser("status", help="each device's driver, state and detail")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    test = devices_sub.add_parser("test", help="exercise one device end to end")
    test.add_argument("name", help="card_reader, camera, printer or speaker")
    test.add_argument("--json", action="store_true")
    test.add_argument("--wait", type=float, default=5.0, metavar="S",
                      help="card_reader: how long to wait for a card to read (default 5)")
    test.set_defaults(func=_test)
    selftest = devices_sub.add_parser(
        "selftest", help="the quick check before returning to service (no print, no speech)")
    selftest.add_argument("--json", action="store_true")
    selftest.add_argument("--timeout", type=float, default=5.0, metavar="S",
                          help="how long the whole check may take (default 5)")
    selftest.set_defaults(func=_selftest)


def _open(args: argparse.Namespace) -> tuple[Any, Mapping[str, Any]]:
    from kiosk.app import build_devices

    config = load(args.config)
    return config, build_devices(config, data_dir(config.terminal.data_dir or None))


def _status(args: argparse.Namespace) -> int:
    from kiosk.maintenance.bundle import describe_device

    config, devices = _open(args)
    try:
        rows = [describe_device(name, d, config.device(name).driver)
                for name, d in devices.items()]
    finally:
        _close(devices)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            extra = ", ".join(f"{k}={r[k]}" for k in ("media", "paper", "camera", "cover_open",
                                                     "jammed", "printout_waiting") if k in r)
            print(f"{r['name']:<12} {r['driver']:<10} {r['device']:<13} "
                  f"{'ok' if r['usable'] else r['reason'] or 'not usable':<18} {extra}")
    return 0 if all(r["usable"] for r in rows) else 1


def _test(args: argparse.Namespace) -> int:
    from kiosk.maintenance.bundle import describe_device
    from kiosk.maintenance.diagnostics import run_test

    config, devices = _open(args)
    try:
        device = devices.get(args.name)
        if device is None:
            print(f"kiosk: no device {args.name!r} (this terminal has: {', '.join(devices)})",
                  file=sys.stderr)
            return 2
        driver = config.device(args.name).driver
        diagnosis = run_test(args.name, device, config, wait_s=args.wait)
        result = {"driver": driver, **diagnosis.as_dict("en"),
                  "status": describe_device(args.name, device, driver)}
    finally:
        _close(devices)
    if args.json:
        result["detail"] = result.pop("text")
        print(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        print(_line(diagnosis))
    return 0 if diagnosis.passed else 1


def _selftest(args: argparse.Namespace) -> int:
    """The check a technician's leaving maintenance runs: nothing printed or said."""
    from kiosk.maintenance.diagnostics import self_test

    config, devices = _open(args)
    try:
        results = self_test(devices, config, timeout_s=args.timeout)
        rows = [{"driver": config.device(d.device).driver, **d.as_dict("en")} for d in results]
    finally:
        _close(devices)
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
    else:
        for d in results:
            print(_line(d))
    return 0 if all(d.passed for d in results) else 1


def _line(diagnosis: Any) -> str:
    return (f"{diagnosis.device}: {'PASS' if diagnosis.passed else 'FAIL'} — "
            f"{diagnosis.text('en')} ({diagnosis.seconds} s)")


def _close(devices: Mapping[str, Any]) -> None:
    for d in devices.values():
        d.close()
