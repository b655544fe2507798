"""`kiosk card personalize | emulate | read`: test cards for technicians and tests.

personalize writes a card profile signed by the sandbox issuer (or a broken one,
with --defect); emulate puts it into the vpcd virtual reader of a running pcscd
(starting it inserts the card, stopping it removes it); read reads whatever card
is in a PC/SC reader and says whether it is genuine, and why not.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import signal
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

PHOTO_BYTES = (10 * 1024, 30 * 1024)  # what a card's photo weighs (docs/card.md)


def add_card_commands(sub: Any) -> None:
    card = sub.add_parser("card", help="test cards: personalise, emulate, read")
    card_sub = card.add_subparsers(metavar="ACTION")

    from kiosk.sandbox.issuer import DEFECTS

    p = card_sub.add_parser("personalize", help="write a test card profile")
    p.add_argument("--photo", type=Path, required=True, help="the holder's photo (any image)")
    p.add_argument("--out", type=Path, required=True, help="the profile file to write")
    p.add_argument("--card-number", default="T0000001")
    p.add_argument("--id-number", default="1234567(8)")
    p.add_argument("--name-zh", default="測試")
    p.add_argument("--name-latin", default="TEST, CARD")
    p.add_argument("--sex", choices=("M", "F"), default="F")
    p.add_argument("--birth", type=date.fromisoformat, default=date(1980, 1, 1))
    p.add_argument("--issued", type=date.fromisoformat, default=date(2024, 1, 1))
    p.add_argument("--expires", type=date.fromisoformat, default=date(2034, 1, 1))
    p.add_argument("--defect", choices=sorted(DEFECTS), help="make a broken card")
    p.add_argument("--protocol", choices=("T=0", "T=1"), default="T=1")
    p.add_argument("--no-extended", action="store_true", help="short APDUs only")
    p.set_defaults(func=_personalize)

    e = card_sub.add_parser("emulate", help="insert a profile into the vpcd virtual reader")
    e.add_argument("profile", type=Path)
    e.add_argument("--host", default="127.0.0.1")
    e.add_argument("--port", type=int, default=35963, help="vpcd port (Debian's: 35963)")
    e.set_defaults(func=_emulate)

    r = card_sub.add_parser("read", help="read and verify the card in a PC/SC reader")
    r.add_argument("--reader", default="", help="part of the reader's name (default: first)")
    r.add_argument("--json", action="store_true")
    r.add_argument("--show-id", action="store_true", help="print the ID number unmasked")
    r.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a card")
    r.set_defaults(func=_read)


def card_photo(path: Path) -> bytes:
    """Any image as a chip photo: a portrait JPEG of 10 to 30 KB."""
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        photo = ImageOps.fit(img.convert("RGB"), (300, 375))
    best = b""
    for quality in (92, 85, 75, 65, 50, 35):
        out = io.BytesIO()
        photo.save(out, "JPEG", quality=quality)
        best = out.getvalue()
        if len(best) <= PHOTO_BYTES[1]:
            break
    return best


def _personalize(args: argparse.Namespace) -> int:
    from kiosk.sandbox.issuer import personalize

    try:
        photo = card_photo(args.photo)
    except OSError as e:
        print(f"kiosk: cannot use {args.photo} as a photo: {e}", file=sys.stderr)
        return 2
    try:
        profile = personalize(args.card_number, args.id_number, args.name_zh, args.name_latin,
                              args.sex, args.birth, args.issued, args.expires, photo,
                              defect=args.defect, protocol=args.protocol,
                              extended_length=not args.no_extended)
    except ValueError as e:
        print(f"kiosk: {e}", file=sys.stderr)
        return 2
    profile.save(args.out)
    print(f"{args.out}: {profile.label} card, photo {len(photo)} bytes, {args.protocol}")
    return 0


def _emulate(args: argparse.Namespace) -> int:
    from kiosk.devices.vpcd import VpcdCard
    from kiosk.identity.profile import CardProfile, ProfileError

    try:
        profile = CardProfile.load(args.profile)
    except ProfileError as e:
        print(f"kiosk: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"card {profile.label} in the vpcd reader at {args.host}:{args.port}; "
          "stop (Ctrl-C) to remove it", flush=True)
    VpcdCard(profile, args.host, args.port).serve_forever(stop)
    return 0


def _read(args: argparse.Namespace) -> int:
    from kiosk.app import trust_store
    from kiosk.config import load
    from kiosk.devices.base import DeviceError
    from kiosk.devices.pcsc import PcscCardReader
    from kiosk.devices.status import CardReaderStatus, Media
    from kiosk.identity.verify import verify_card

    trust = trust_store(load(args.config))
    reader = PcscCardReader(reader=args.reader)
    present = threading.Event()

    def watch(_device: object, status: object) -> None:
        if isinstance(status, CardReaderStatus) and status.media is Media.PRESENT:
            present.set()

    reader.subscribe(watch)
    reader.open()
    try:
        if not present.wait(args.wait):
            status = reader.status
            print(f"kiosk: no card in a reader after {args.wait:g} s "
                  f"(reader: {status.device.value} {status.detail})", file=sys.stderr)
            return 1
        try:
            read = reader.read_card().result(timeout=30)
        except DeviceError as e:
            print(f"kiosk: the card could not be read: {e.code}", file=sys.stderr)
            return 1
        verdict = verify_card(read, trust, date.today())
        report = _report(read, verdict, show_id=args.show_id)
        read.wipe()
        verdict.wipe()
    finally:
        reader.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>10}: {value}")
    return 0 if report["authentic"] else 1


def _report(read: Any, verdict: Any, *, show_id: bool) -> dict[str, Any]:
    from kiosk.documents.voucher import mask_id_number
    from kiosk.identity.chip import PHOTO

    card = verdict.card
    identity = None
    if card is not None:
        identity = {
            "card_number": card.card_number,
            "id_number": card.id_number if show_id else mask_id_number(card.id_number),
            "name_zh": card.name_zh, "name_latin": card.name_latin, "sex": card.sex,
            "date_of_birth": card.date_of_birth.isoformat(),
            "issue_date": card.issue_date.isoformat(),
            "expiry_date": card.expiry_date.isoformat(),
        }
    photo_file = read.files.get(PHOTO.name, b"")
    photo = bytes(card.photo_jpeg) if card is not None else b""
    return {
        "reader": read.reader, "atr": read.atr.hex().upper(), "protocol": read.protocol,
        "identity": identity,
        "photo": {"bytes": len(photo), "sha256": hashlib.sha256(photo).hexdigest()}
        if photo else {"bytes": 0, "file_bytes": len(photo_file)},
        "authentic": verdict.authentic, "reason": verdict.reason,
        "apdus": read.apdus, "seconds": round(read.seconds, 4),
    }
