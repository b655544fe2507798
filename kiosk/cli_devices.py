"""``kiosk devices status|test``: the field engineer's view of the terminal's devices.

Run on a terminal whose kiosk is stopped (or, once it exists, in maintenance
mode): a camera or a printer serves one program at a time. ``status`` says, for
each device, its driver, state and what a technician should do about it;
``test NAME`` exercises one device end to end and says pass or fail, with the
exit code to match (0 pass, 1 fail, 2 no such device).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from kiosk.config import data_dir, load
from kiosk.i18n import LANGUAGES

CAMERA_FRAMES = 10
CAMERA_TIMEOUT_S = 10.0


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


def _open(args: argparse.Namespace) -> tuple[Any, Mapping[str, Any]]:
    from kiosk.app import build_devices

    config = load(args.config)
    return config, build_devices(config, data_dir(config.terminal.data_dir or None))


def describe(name: str, device: Any, driver: str) -> dict[str, Any]:
    """What a technician reads of one device: no personal data (a card's
    contents are never part of a status)."""
    status = device.status
    fields = {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(status).items()}
    return {"name": name, "kind": device.kind, "driver": driver,
            "simulated": bool(device.simulated), "usable": bool(status.usable),
            "reason": status.reason, **fields}


def _status(args: argparse.Namespace) -> int:
    config, devices = _open(args)
    try:
        rows = [describe(name, d, config.device(name).driver) for name, d in devices.items()]
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
    config, devices = _open(args)
    try:
        device = devices.get(args.name)
        if device is None:
            print(f"kiosk: no device {args.name!r} (this terminal has: {', '.join(devices)})",
                  file=sys.stderr)
            return 2
        test = TESTS[device.kind]
        started = time.monotonic()
        passed, detail = test(device, config, args)
        result = {"device": args.name, "driver": config.device(args.name).driver,
                  "passed": passed, "detail": detail,
                  "seconds": round(time.monotonic() - started, 2),
                  "status": describe(args.name, device, config.device(args.name).driver)}
    finally:
        _close(devices)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{args.name}: {'PASS' if passed else 'FAIL'} — {detail} "
              f"({result['seconds']} s)")
    return 0 if passed else 1


def _close(devices: Mapping[str, Any]) -> None:
    for d in devices.values():
        d.close()


def _test_card_reader(reader: Any, config: Any, args: argparse.Namespace) -> tuple[bool, str]:
    """The reader answers; with a card in it, the chip is read and its
    signature verified (the contents are not shown: only whether they verify)."""
    from datetime import date

    from kiosk.app import trust_store
    from kiosk.identity.verify import verify_card

    status = _settled(reader, args.wait)
    if not status.usable:
        return False, f"reader not usable: {status.reason or status.device.value}"
    if getattr(status.media, "value", "") != "present":
        return True, "reader online, no card in it (insert one to test a read)"
    chip = reader.read_card().result(timeout=30)
    try:
        verdict = verify_card(chip, trust_store(config), date.today())
    finally:
        chip.wipe()
    verdict.wipe()  # only whether it verifies is shown, never what it holds
    if not verdict.authentic:  # a forged or damaged card: the reader itself works
        return True, f"card read; it does not verify ({verdict.reason})"
    return True, "card read and verified"


def _settled(reader: Any, wait: float) -> Any:
    """The reader's status once a card is in it, or after ``wait`` seconds
    (a PC/SC reader learns of a card at a poll, a citizen's hand is slower)."""
    known = threading.Event()

    def check(_device: Any = None, status: Any = None) -> None:
        status = status or reader.status
        if getattr(status.media, "value", "") == "present" or status.device.value in (
                "offline", "hardwareError", "noDevice"):
            known.set()

    unsubscribe = reader.subscribe(check)
    try:
        check()
        known.wait(wait)
    finally:
        unsubscribe()
    return reader.status


def _test_camera(camera: Any, config: Any, args: argparse.Namespace) -> tuple[bool, str]:
    """Frames arrive, at what rate and size."""
    got: list[tuple[float, int, int]] = []
    enough = threading.Event()

    def on_frame(frame: Any) -> None:
        got.append((time.monotonic(), frame.width, frame.height))
        frame.wipe()
        if len(got) >= CAMERA_FRAMES:
            enough.set()

    camera.start(on_frame)
    try:
        enough.wait(CAMERA_TIMEOUT_S)
    finally:
        camera.stop()
    if len(got) < 2:
        return False, f"{len(got)} frame(s) in {CAMERA_TIMEOUT_S:.0f} s: " \
                      f"{camera.status.reason or 'no picture'}"
    fps = (len(got) - 1) / max(got[-1][0] - got[0][0], 1e-6)
    return True, f"{len(got)} frames of {got[-1][1]}×{got[-1][2]} at {fps:.1f} fps"


def _test_printer(printer: Any, config: Any, args: argparse.Namespace) -> tuple[bool, str]:
    """A test page, followed to the end of the job."""
    from kiosk.cli_print import print_test_page
    from kiosk.devices.base import DeviceError

    try:
        result = print_test_page(printer, config, "en")
    except DeviceError as e:
        return False, f"did not print: {e.code}"
    return True, f"test page printed: job {result.job_id}, {result.pages} page(s)"


def _test_speaker(speaker: Any, config: Any, args: argparse.Namespace) -> tuple[bool, str]:
    """A sentence in each language with a voice, then the reminder chime."""
    from kiosk.i18n import t

    voices = speaker.voices()
    for lang in LANGUAGES:
        if lang in voices:
            speaker.say(t("access.speech", lang), lang)
            _until_quiet(speaker)
    speaker.chime("reminder")
    _until_quiet(speaker)
    status = speaker.status
    if not status.usable:
        return False, f"speaker not usable: {status.reason or status.device.value}"
    missing = [lang for lang in LANGUAGES if lang not in voices]
    said = ", ".join(f"{lang}={voices[lang]}" for lang in LANGUAGES if lang in voices)
    return True, f"spoke ({said}) and chimed" + (f"; no voice for {missing}" if missing else "")


def _until_quiet(speaker: Any) -> None:
    """Wait for what the speaker sounds to end, where the driver tells."""
    playback = getattr(speaker, "playback", None)
    done = getattr(playback, "done", None)
    if done is not None:
        done.wait(30)


TESTS: dict[str, Callable[[Any, Any, argparse.Namespace], tuple[bool, str]]] = {
    "card_reader": _test_card_reader,
    "camera": _test_camera,
    "printer": _test_printer,
    "speaker": _test_speaker,
}
