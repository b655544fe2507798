"""How long a full ID-card read takes over PC/SC, against what the transport allows.

Runs a private pcscd with the vpcd virtual reader (this script stops a running
pcscd first, ``kiosk bench`` skips instead; needs root), puts a genuine card
profile in it, and for each mode reads and verifies the card N times through
``PcscCardReader`` (connect exclusively, the APDU sequence, disconnect). The
baseline, on the same pcscd and card: the very APDUs of a read sent raw on one
connection (the transport's floor for these commands, no parsing, no checks);
and one minimal APDU (SELECT AID) timed the same way: floor = APDUs x round trip.

    .venv/bin/python benchmarks/card_read.py [--reads 30] [--photo-kb 20] [--profile P]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from bench_result import Figure, Measured, Skip
from smartcard import scard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.devices.apdu import INS_SELECT, CardChannel, Command
from kiosk.devices.base import Device
from kiosk.devices.chip_reader import read_chip
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.pcscd_daemon import VPCD_DRIVER, PcscdDaemon, processes, running_pcscd
from kiosk.devices.status import CardReaderStatus, DeviceState, DeviceStatus, Media
from kiosk.devices.virtual_card import VirtualCard
from kiosk.devices.vpcd import VpcdCard
from kiosk.identity.chip import AID
from kiosk.identity.profile import CardProfile
from kiosk.identity.verify import verify_card
from kiosk.sandbox.demo import DEMO_CITIZENS, portrait_jpeg
from kiosk.sandbox.issuer import personalize, sandbox_trust_store

WAIT = 10.0


def genuine_profile(photo_kb: int, protocol: str = "T=1") -> CardProfile:
    """A genuine card from the sandbox issuer with a photo of about ``photo_kb`` KB."""
    citizen = DEMO_CITIZENS[0]
    photo = portrait_jpeg(citizen)
    # Pad with a JPEG comment segment to the size under test (the photo stays valid).
    pad = max(0, photo_kb * 1024 - len(photo) - 4)
    chunks = [60000] * (pad // 60000) + [pad % 60000]
    segments = b"".join(b"\xff\xfe" + (n + 2).to_bytes(2, "big") + os.urandom(n)
                        for n in chunks if n)
    photo = photo[:2] + segments + photo[2:]
    return personalize(citizen.card_number, citizen.id_number, citizen.name_zh,
                       citizen.name_latin, citizen.sex, citizen.date_of_birth,
                       citizen.issue_date, citizen.expiry_date, photo, protocol=protocol)


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


def apdu_script(profile: CardProfile, extended: bool) -> list[bytes]:
    """The exact commands a read sends, captured against the virtual card itself."""
    card = VirtualCard(profile)
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        return card.process(apdu)

    read_chip(CardChannel(transmit, profile.protocol), extended=extended)
    return sent


def replay_s(reader_name: str, script: list[bytes], count: int) -> float:
    """Median time of the read's own APDU sequence sent raw on one connection:
    the transport floor for exactly these commands and answers (no parsing)."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hr, hcard, proto = scard.SCardConnect(ctx, reader_name, scard.SCARD_SHARE_EXCLUSIVE,
                                          scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    if hr != scard.SCARD_S_SUCCESS:
        raise SystemExit(f"cannot connect for the replay: {hr:08X}")
    pci = scard.SCARD_PCI_T0 if proto == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
    commands = [list(c) for c in script]
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            for command in commands:
                scard.SCardTransmit(hcard, pci, command)
            times.append(time.perf_counter() - start)
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
        trust = sandbox_trust_store()
        for _ in range(reads):
            start = time.perf_counter()
            chip = reader.read_card().result(timeout=WAIT)
            verdict = verify_card(chip, trust, date.today())  # the full read is read + verify
            walls.append(time.perf_counter() - start)
            chips.append(chip.seconds)
            apdus.add(chip.apdus)
            if chip.files != profile.files:
                raise SystemExit("a read returned different files")
            if not verdict.authentic:
                raise SystemExit(f"the benchmark card did not verify: {verdict.reason}")
        rtt = round_trip_s(daemon.reader_name, max(reads * 4, 50))
        replay = replay_s(daemon.reader_name, apdu_script(profile, mode == "extended"), reads)
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
            "read_over_floor": round(read_s / floor, 2),
            "replay_ms": round(replay * 1000, 3), "read_over_replay": round(read_s / replay, 2)}


def measure(profile: CardProfile, reads: int, *, take_over: bool = True) -> list[dict]:
    """The three modes (extended T=1, short T=1, short T=0) on a private pcscd;
    ``take_over``: stop a pcscd already running (and start it again after)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-pcscd-") as workdir:
        daemon = PcscdDaemon(workdir, take_over=take_over)
        daemon.start(timeout=WAIT)
        try:
            t0 = dataclasses.replace(profile, protocol="T=0", atr=b"")
            return [run_mode(daemon, profile, "extended", reads),
                    run_mode(daemon, profile, "short", reads),
                    run_mode(daemon, t0, "short", reads)]
        finally:
            daemon.close()


def pcscd_unavailable() -> str | None:
    """Why a private pcscd cannot run now without disturbing anyone, or None.
    pcsc-lite serves clients on one fixed socket (/run/pcscd), so the benchmark
    needs it to itself: it never stops a pcscd it did not start, and keeps off
    while a test run is going on (the PC/SC tests take the socket over)."""
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (Debian: pcscd)"
    if not Path(VPCD_DRIVER).exists():
        return "the vpcd virtual reader is not installed (Debian: vsmartcard-vpcd)"
    if not os.access(Path("/run/pcscd") if Path("/run/pcscd").exists() else Path("/run"),
                     os.W_OK):
        return "pcscd's socket directory /run/pcscd is not writable (run as root)"
    running = running_pcscd()
    if running:
        return (f"a pcscd is already running (pid {running[0]}): it owns /run/pcscd, and "
                "this benchmark does not stop another's")
    testing = [pid for pid, argv in processes("cmdline")
               if "pytest" in argv and pid != os.getpid()]
    if testing:
        return (f"a test run is going on (pid {testing[0]}): its PC/SC tests would take "
                "/run/pcscd over in the middle of the reads")
    return None


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``): skips, saying why, when pcscd
    is busy or missing (see ``pcscd_unavailable``)."""
    why = pcscd_unavailable()
    if why:
        raise Skip(why)
    reads = 3 if quick else 30
    try:
        results = measure(genuine_profile(20), reads, take_over=False)
    except RuntimeError:
        # A pcscd that started between the check and ours is someone else's: not
        # a failure of the read, only no room for the benchmark now.
        why = pcscd_unavailable()
        if why:
            raise Skip(why) from None
        raise
    return Measured([
        Figure(f"card read + verify, {r['mode']} APDUs, {r['protocol']} (median)",
               r["read_ms"], "ms", r["replay_ms"],
               "the same APDUs replayed raw through pcscd (the transport's floor)",
               f"{r['apdus']} APDUs, {r['bytes']} bytes; APDUs x one round trip: "
               f"{r['floor_ms']} ms")
        for r in results], {"reads": reads, "photo_kb": 20, "pcscd": "private, vpcd"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--photo-kb", type=int, default=20)
    parser.add_argument("--profile", type=Path, help="a card profile (kiosk card personalize)")
    args = parser.parse_args(argv)
    profile = (CardProfile.load(args.profile) if args.profile
               else genuine_profile(args.photo_kb))
    results = measure(profile, args.reads)
    header = ("mode", "protocol", "bytes", "apdus", "read_ms", "apdu_sequence_ms",
              "round_trip_ms", "floor_ms", "read_over_floor", "replay_ms", "read_over_replay")
    print(" ".join(f"{h:>16}" for h in header))
    for r in results:
        print(" ".join(f"{r[h]!s:>16}" for h in header))
    print(json.dumps({"pcscd": "private, vpcd", "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
