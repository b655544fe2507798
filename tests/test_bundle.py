"""The diagnostics bundle: after a citizen's data went through the kiosk (a walked
service, a printout, an outbox payload, log lines), no member holds any of it;
keys, state, printouts and the sandbox stay out; secrets are hidden; it goes to
a USB stick (a real mount, in a private namespace) or says why it cannot."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import random
import re
import shutil
import string
import subprocess
import sys
import tarfile
from pathlib import Path

from kiosk.config import CONFIG_VERSION, BackendConfig, Config
from kiosk.config.schema import LoggingConfig, MaintenanceConfig
from kiosk.logs import setup_logging
from kiosk.maintenance.bundle import config_summary, usb_mounts, usb_targets, write_bundle
from kiosk.maintenance.credentials import hash_pin
from kiosk.offline.audit import terminal_audit_log
from kiosk.sandbox.demo import DEMO_CITIZENS, personal_data
from tests.conftest import TOKEN
from tests.service_driver import walk
from tests.test_logs import clean_root, run_with_journald  # noqa: F401 (a fixture)

REPO = Path(__file__).resolve().parent.parent
CITIZEN = DEMO_CITIZENS[0]
NAME = re.compile(r"kiosk-diagnostics-demo-terminal-01-\d{8}T\d{6}Z\.tar\.gz")


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()  # type: ignore[union-attr]
                if m.isfile()}


def test_a_bundle_after_a_citizen_holds_none_of_their_data(
        terminal, host, journey, sandbox, kiosk_home: Path, tmp_path: Path,
        clean_root: logging.Logger) -> None:  # noqa: F811
    setup_logging(Config(logging=LoggingConfig(target="files")), kiosk_home)
    done = walk(journey, host, terminal, "ssm.voucher-print")  # vouchers printed, logged
    assert done.outcome == "completed", done.error
    assert list((kiosk_home / "printed").iterdir())
    terminal.outbox.enqueue(
        service_id="fss.proof-of-life", department="fss", idempotency_key="bundle-1",
        payload={"name": CITIZEN.name_zh, "name_latin": CITIZEN.name_latin,
                 "id_number": CITIZEN.id_number, "card_number": CITIZEN.card_number,
                 "phone": CITIZEN.phone}, summary={"count": 1})
    # A mistake the code should never make, caught by the handler's filter ...
    logging.getLogger("kiosk.test.bundle").warning("looked up %s with card %s",
                                                   CITIZEN.id_number, CITIZEN.card_number)
    # ... and lines that reached a file or the journal unfiltered (an older
    # kiosk, a library's stderr): the bundle masks them on the way out.
    # Names cannot be recognised in free text: nothing here promises to mask one.
    (kiosk_home / "logs" / "kiosk.log.1").write_text(
        f"2026-01-05 10:00:00,000 INFO old: citizen {CITIZEN.id_number} phone "
        f"{CITIZEN.phone} card {CITIZEN.card_number} mail chan@example.mo\n", encoding="utf-8")
    journal = [f"2026-01-05T10:00:00+0800 kiosk cage[42]: id {CITIZEN.id_number.split('(')[0]}"
               f"{CITIZEN.id_number[-2]} tel {CITIZEN.phone.replace(' ', '')[-8:]}"]
    terminal.devices["printer"].load_paper(0)  # an alert, in state/alerts.json
    terminal_audit_log(kiosk_home).append("cli", "queue.drop", item=7, department="fss")
    (kiosk_home / "sandbox").mkdir(exist_ok=True)
    shutil.copy(sandbox.db_path, kiosk_home / "sandbox" / "gateway.db")  # citizens, in clear
    usb = tmp_path / "usb"
    usb.mkdir()

    path = write_bundle(terminal.config, kiosk_home, usb, devices=terminal.devices,
                        extra={"counters": {"sessions": 1}, "Bad Name": 1},
                        journal=lambda: journal)

    assert NAME.fullmatch(path.name) and path.parent == usb
    assert [p.name for p in usb.iterdir()] == [path.name]  # no .part left
    got = members(path)
    assert set(got) == {"manifest.json", "config.json", "system.json", "devices.json",
                        "audit.json", "outbox.json", "alerts.json", "counters.json",
                        "logs/kiosk.log", "logs/kiosk.log.1", "logs/journal.txt"}
    # Nothing personal anywhere: in any member, nor in the archive's own bytes.
    key = (kiosk_home / "keys" / "data.key").read_bytes()
    raw = gzip.decompress(path.read_bytes())
    for name, data in [*got.items(), ("(the whole archive)", raw)]:
        for secret in [*personal_data(), "chan@example.mo", TOKEN]:
            assert secret.encode() not in data, (name, secret)
        assert key not in data and key.hex().encode() not in data, name
    assert b"SQLite format 3" not in raw and b"%PDF" not in raw  # no database, no printout
    # What is there is what the manifest says.
    manifest = json.loads(got["manifest.json"])
    assert {m["name"]: (m["size"], m["sha256"]) for m in manifest["members"]} == {
        n: (len(d), hashlib.sha256(d).hexdigest()) for n, d in got.items()
        if n != "manifest.json"}
    assert "refused" in manifest["notes"]["extra 'Bad Name'"]
    # The masked lines are still there, masked.
    assert "old: citizen [redacted:id] phone [redacted:phone] card [redacted:card] mail " \
           "[redacted:email]" in got["logs/kiosk.log.1"].decode()
    assert "looked up [redacted:id] with card [redacted:card]" in got["logs/kiosk.log"].decode()
    assert "id [redacted:number] tel [redacted:number]" in got["logs/journal.txt"].decode()
    # The sections.
    config = json.loads(got["config.json"])
    assert config["backend"]["terminal_token"] == "(set, hidden)"
    assert config["terminal"]["id"] == "demo-terminal-01"
    outbox = json.loads(got["outbox.json"])
    assert outbox["status"]["counts"]["pending"] == 1
    assert outbox["items"]["pending"][0]["service_id"] == "fss.proof-of-life"
    assert "payload" not in got["outbox.json"].decode()
    audit = json.loads(got["audit.json"])
    assert audit["verify"]["ok"] is True and audit["entries"][-1]["action"] == "queue.drop"
    assert {d["name"] for d in json.loads(got["devices.json"])} == set(terminal.devices)
    assert {"device": "printer", "condition": "paper_out"}.items() <= json.loads(
        got["alerts.json"])[0].items()
    system = json.loads(got["system.json"])
    assert system["disk"]["free_bytes"] > 0 and system["python"] == sys.version.split()[0]
    assert json.loads(got["counters.json"]) == {"sessions": 1}


def test_secrets_are_hidden() -> None:
    record = hash_pin("246810")
    config = Config(backend=BackendConfig(terminal_token="t0ken-of-the-terminal"),
                    maintenance=MaintenanceConfig(technicians={"T001": record},
                                                  roles={"T001": "technician"}))
    shown = json.dumps(config_summary(config))
    assert record not in shown and "t0ken-of-the-terminal" not in shown
    summary = config_summary(config)
    assert summary["maintenance"]["technicians"] == {"T001": "(hash hidden)"}
    assert summary["maintenance"]["roles"] == {"T001": "technician"}


def test_a_terminal_that_never_ran_gets_a_bundle_and_nothing_is_created(tmp_path: Path) -> None:
    home, usb = tmp_path / "home", tmp_path / "usb"
    home.mkdir()
    usb.mkdir()
    path = write_bundle(Config(), home, usb, journal=lambda: None)
    got = members(path)
    assert set(got) == {"manifest.json", "config.json", "system.json", "audit.json",
                        "outbox.json"}
    notes = json.loads(got["manifest.json"])["notes"]
    assert set(notes) == {"devices", "logs"}
    assert json.loads(got["audit.json"])["available"] is False
    assert sorted(p.name for p in home.iterdir()) == []  # no key, no database made


def test_a_damaged_key_is_noted_and_the_rest_still_goes(tmp_path: Path) -> None:
    home, usb = tmp_path / "home", tmp_path / "usb"
    (home / "keys").mkdir(parents=True)
    (home / "state").mkdir()
    (home / "keys" / "data.key").write_bytes(b"short")
    (home / "keys" / "data.key").chmod(0o600)
    (home / "state" / "terminal.db").write_bytes(b"")
    usb.mkdir()
    got = members(write_bundle(Config(), home, usb, journal=lambda: None))
    notes = json.loads(got["manifest.json"])["notes"]
    assert notes["audit"].startswith("KeyFileError") and notes["outbox"].startswith(
        "KeyFileError")
    assert "config.json" in got and "system.json" in got


def test_usb_mount_points_from_proc_mounts() -> None:
    mounts = "\n".join([
        "/dev/vda / ext4 rw,relatime 0 0",
        "/dev/sda1 /media/STICK vfat rw,nosuid,nodev,relatime,uid=1000 0 0",
        r"/dev/sdb1 /media/tech/MY\040STICK exfat rw,nosuid 0 0",
        "/dev/sdc1 /run/media/tech/BACKUP ext4 rw 0 0",
        "/dev/sdd1 /media/locked vfat ro,nosuid 0 0",  # read-only: not a target
        "/dev/sde1 /media/a/b/c vfat rw 0 0",  # deeper than automounters go
        "tmpfs /media tmpfs rw 0 0",
        "/dev/sdf1 /mnt/usb vfat rw 0 0",
        "/dev/sda1 /media/STICK vfat rw 0 0",  # mounted twice: once
    ])
    assert usb_mounts(mounts) == [Path("/media/STICK"), Path("/media/tech/MY STICK"),
                                  Path("/run/media/tech/BACKUP")]


def test_the_export_dir_is_the_target_when_set(tmp_path: Path) -> None:
    assert usb_targets(str(tmp_path), mounts="") == [tmp_path]
    assert usb_targets(str(tmp_path / "missing"), mounts="") == []
    assert usb_targets("", mounts="/dev/vda / ext4 rw 0 0\n") == []


# --- the command, on a real (tmpfs) stick -----------------------------------------------------


def kiosk(home: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, KIOSK_HOME=str(home), PYTHONPATH=str(REPO))
    env.pop("KIOSK_CONFIG", None)
    cmd = [sys.executable, "-m", "kiosk.cli", *(["--config", str(config)] if config else []),
           *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_bundle_command_with_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = kiosk(tmp_path / "home", "diagnostics", "bundle", "--out", str(out))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == out and NAME.fullmatch(path.name)
    assert "manifest.json" in members(path)
    # The export is a technician's act: in the audit log.
    entry = terminal_audit_log(tmp_path / "home").entries()[-1]
    assert (entry.action, entry.details["file"]) == ("diagnostics.export", path.name)


def test_bundle_command_with_nowhere_to_write(tmp_path: Path) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(f'version = {CONFIG_VERSION}\n[maintenance]\n'
                      f'export_dir = "{tmp_path / "no-stick"}"\n')
    result = kiosk(tmp_path / "home", "diagnostics", "bundle", config=config)
    assert result.returncode == 1
    assert "nowhere to write the bundle" in result.stderr and "no-stick" in result.stderr


# Runs in a private mount namespace: /media is its own tmpfs, with "sticks" mounted
# under it as a desktop automounter or systemd-mount would.
_STICKS = r"""
set -e
mount -t tmpfs tmpfs /media
mkdir /media/STICK /media/TINY
mount -t tmpfs -o size=8m tmpfs /media/STICK
mount -t tmpfs -o size=16k tmpfs /media/TINY
"$@" diagnostics bundle > /media/out.txt 2>&1 && echo "exit 0" >> /media/out.txt
ls -a /media/STICK >> /media/out.txt
umount /media/STICK
"$@" diagnostics bundle >> /media/out.txt 2>&1 || echo "exit $?" >> /media/out.txt
ls -a /media/TINY >> /media/out.txt
cat /media/out.txt
"""


def test_bundle_goes_to_a_mounted_stick_and_a_full_one_leaves_nothing(tmp_path: Path) -> None:
    # A log that compresses badly (random letters, which the redaction keeps):
    # about 180 kB of bundle, more than the tiny stick holds.
    rng = random.Random(7)
    (tmp_path / "home" / "logs").mkdir(parents=True)
    (tmp_path / "home" / "logs" / "kiosk.log").write_text("".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(99)) + "\n"
        for _ in range(3000)))
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "-r", "--mount"]
    env = dict(os.environ, KIOSK_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    env.pop("KIOSK_CONFIG", None)
    result = subprocess.run([*unshare, "sh", "-c", _STICKS, "sh", sys.executable, "-m",
                             "kiosk.cli"], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    written = Path(out[0])
    assert written.parent == Path("/media/STICK") and NAME.fullmatch(written.name), out
    assert out[1] == "exit 0" and written.name in out[2:6]
    # The first stick gone, the next is the tiny one: the bundle does not fit.
    failed = out.index("exit 1")
    assert any("could not be written to /media/TINY" in line for line in out[:failed])
    assert [n for n in out[failed + 1:] if n not in (".", "..")] == []  # no .part, no bundle


def test_the_bundle_reads_the_journal(tmp_path: Path) -> None:
    """The kiosk's journal lines, from a real journald, masked again in the bundle."""
    raw = (f"import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
           f"s.sendto(b'MESSAGE=cage: citizen {CITIZEN.id_number} tel 66123401\\n"
           f"SYSLOG_IDENTIFIER=kiosk\\n', '/run/systemd/journal/socket')\n")
    bundle = (f"from pathlib import Path\nfrom kiosk.config import Config\n"
              f"from kiosk.maintenance.bundle import write_bundle\n"
              f"Path({str(tmp_path / 'home')!r}).mkdir()\n"
              f"out = Path({str(tmp_path / 'usb')!r}); out.mkdir()\n"
              f"write_bundle(Config(), Path({str(tmp_path / 'home')!r}), out)\n")
    entries = run_with_journald(tmp_path, raw, bundle)
    assert any(CITIZEN.id_number in str(e["MESSAGE"]) for e in entries)  # unmasked in there
    [path] = (tmp_path / "usb").iterdir()
    journal = members(path)["logs/journal.txt"].decode()
    assert "cage: citizen [redacted:id] tel [redacted:number]" in journal
    assert CITIZEN.id_number not in journal

