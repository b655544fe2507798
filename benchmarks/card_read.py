"""How long a full ID-card read takes over PC/SC, against what the transport allows.

Runs a private pcscd with the vpcd virtual reader (stopping a running pcscd
first; needs root), puts a genuine card profile in it, and for each mode reads
the card N times through ``PcscCardReader`` (connect, transaction, the APDU
sequence, disconnect). It measures one minimal APDU (SELECT AID) the same way,
through pcscd and vpcd, and compares: floor = APDUs x round trip.

    .venv/bin/python benchmarks/card_read.py [--reads 30] [--photo-kb 20] [--profile P]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from smartcard import scard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.devices.apdu import INS_SELECT, Command
from kiosk.devices.base import Device
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.pcscd_daemon import PcscdDaemon
from kiosk.devices.status import CardReaderStatus, DeviceState, DeviceStatus, Media
from kiosk.devices.vpcd import VpcdCard
from kiosk.identity.chip import AID, CHIP_KEY, IDENTITY, PHOTO, SECURITY
from kiosk.identity.profile import CardProfile

WAIT = 10.0


def genuine_profile(photo_kb: int, protocol: str = "T=1") -> CardProfile:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    files = {IDENTITY.name: os.urandom(600), PHOTO.name: os.urandom(photo_kb * 1024),
             CHIP_KEY.name: public, SECURITY.name: os.urandom(1400)}
    return CardProfile(files=files, chip_private_key_pem=pem, protocol=protocol)


def wait_media(reader: PcscCardReader, media: Media) -> None:
    ready = threading.Event()

    def check(_d: Device, s: DeviceStatus) -> None:
        if (isinstance(s, CardReaderStatus) and s.device is DeviceState.ONLINE
                and s.media is media):
            ready.set()

    unsubscribe = reader.subscribe(check)
    check(reader, reader.status)
    try:
        if not ready.wait(WAIT):
            raise SystemExit(f"media never became {media} (status {reader.status})")
    finally:
        unsubscribe()


def round_trip_s(reader_name: str, count: int) -> float:
    """Median time of one SELECT AID through pcscd and vpcd, on one connection."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hr, hcard, proto = scard.SCardConnect(ctx, reader_name, scard.SCARD_SHARE_EXCLUSIVE,
                                          scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    if hr != scard.SCARD_S_SUCCESS:
        raise SystemExit(f"cannot connect for the round trip: {hr:08X}")
    pci = scard.SCARD_PCI_T0 if proto == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
    select = list(Command(0x00, INS_SELECT, 0x04, 0x0C, AID).encode())
    times = []
    try:
        scard.SCardBeginTransaction(hcard)
        for _ in range(count):
            start = time.perf_counter()
            hr, response = scard.SCardTransmit(hcard, pci, select)
            times.append(time.perf_counter() - start)
            if hr != scard.SCARD_S_SUCCESS or bytes(response[-2:]) != b"\x90\x00":
                raise SystemExit("SELECT AID failed in the round-trip measurement")
        scard.SCardEndTransaction(hcard, scard.SCARD_LEAVE_CARD)
    finally:
        scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(ctx)
    return statistics.median(times)


def run_mode(daemon: PcscdDaemon, profile: CardProfile, mode: str, reads: int) -> dict:
    reader = PcscCardReader(reader=daemon.friendly_name, extended=mode == "extended")
    reader.open()
    card = VpcdCard(profile, port=daemon.port)
    try:
        card.insert(timeout=WAIT)
        wait_media(reader, Media.PRESENT)
        reader.read_card().result(timeout=WAIT)  # warm-up: first connect, power-up
        walls, chips, apdus = [], [], set()
        for _ in range(reads):
            start = time.perf_counter()
            chip = reader.read_card().result(timeout=WAIT)
            walls.append(time.perf_counter() - start)
            chips.append(chip.seconds)
            apdus.add(chip.apdus)
            if chip.files != profile.files:
                raise SystemExit("a read returned different files")
        rtt = round_trip_s(daemon.reader_name, max(reads * 4, 50))
        # The next mode's card must find the reader empty, not this card's ghost.
        card.remove()
        wait_media(reader, Media.ABSENT)
    finally:
        card.remove()
        reader.close()
    n_apdus = max(apdus)
    read_s = statistics.median(walls)
    floor = n_apdus * rtt
    return {"mode": mode, "protocol": profile.protocol, "reads": reads,
            "bytes": sum(len(v) for v in profile.files.values()), "apdus": n_apdus,
            "read_ms": round(read_s * 1000, 3),
            "apdu_sequence_ms": round(statistics.median(chips) * 1000, 3),
            "round_trip_ms": round(rtt * 1000, 4), "floor_ms": round(floor * 1000, 3),
            "read_over_floor": round(read_s / floor, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--photo-kb", type=int, default=20)
    parser.add_argument("--profile", type=Path, help="a card profile (kiosk card personalize)")
    args = parser.parse_args(argv)
    profile = (CardProfile.load(args.profile) if args.profile
               else genuine_profile(args.photo_kb))
    with tempfile.TemporaryDirectory(prefix="kiosk-pcscd-") as workdir:
        daemon = PcscdDaemon(workdir)
        daemon.start(timeout=WAIT)
        try:
            t0 = dataclasses.replace(profile, protocol="T=0", atr=b"")
            results = [run_mode(daemon, profile, "extended", args.reads),
                       run_mode(daemon, profile, "short", args.reads),
                       run_mode(daemon, t0, "short", args.reads)]
        finally:
            daemon.close()
    header = ("mode", "protocol", "bytes", "apdus", "read_ms", "apdu_sequence_ms",
              "round_trip_ms", "floor_ms", "read_over_floor")
    print(" ".join(f"{h:>16}" for h in header))
    for r in results:
        print(" ".join(f"{r[h]!s:>16}" for h in header))
    print(json.dumps({"pcscd": "private, vpcd", "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
