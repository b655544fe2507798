"""The diagnostics bundle: what a vendor's engineer needs to see of a terminal,
in one ``.tar.gz`` a technician carries away on a USB stick (docs/logs.md).

It holds the configuration in effect (credentials hidden), the devices'
status, the audit log's check and its last entries, the outbox's counts (never
its payloads), the active alerts, the kiosk's logs and system facts, each line
and string passed through ``kiosk.logs.redact`` once more. It never holds the
terminal's key (``keys/``), its state database, the printed documents or the
sandbox's database: those are not read at all, so no bug here can copy them.

Written as ``<name>.part`` and renamed once synced: a stick pulled halfway
leaves a ``.part`` file, never a bundle that looks whole and is not.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kiosk import package_version
from kiosk.config import Config
from kiosk.logs import redact
from kiosk.maintenance.history import plain_fields

PREFIX = "kiosk-diagnostics"
AUDIT_ENTRIES = 200
OUTBOX_ITEMS = 50  # of each of pending and dead, newest first
JOURNAL_LINES = 5000
JOURNAL_TIMEOUT_S = 30.0
SPOOL_BYTES = 4 * 1024 * 1024  # a redacted log bigger than this is spooled to disk
KEY_PACKAGES = ("PySide6-Essentials", "reportlab", "Pillow", "requests", "sqlite-utils",
                "pyscard", "cryptography", "dlib-bin", "opencv-python-headless", "numpy",
                "pyusb")
# Where desktop automounters and systemd-mount put removable media.
USB_MOUNT_PATTERNS = ("/media/*", "/media/*/*", "/run/media/*/*")
# Names a configuration key ends with when its value is a credential.
_SECRET_KEY = re.compile(r"(token|password|passwd|secret|credential|pin|pin_hash)$", re.I)
_EXTRA_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")
_RESERVED = frozenset({"manifest", "config", "system", "devices", "audit", "outbox", "alerts"})

Member = tuple[str, IO[bytes], int, str]  # name, content (at 0), size, sha256


def bundle_name(terminal_id: str, when: datetime) -> str:
    """``kiosk-diagnostics-<terminal id>-<UTC yyyymmddThhmmssZ>.tar.gz`` (a name
    every file system takes: no colon)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", terminal_id) or "terminal"
    return f"{PREFIX}-{safe}-{when.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def write_bundle(config: Config, home: Path, target_dir: Path, *,
                 devices: Mapping[str, Any] | None = None,
                 extra: Mapping[str, Any] | None = None,
                 journal: Callable[[], list[str] | None] | None = None) -> Path:
    """Write the bundle into ``target_dir`` and return its path.

    ``devices``: the live devices (name → device) whose status to include;
    None when they are not this process's to ask (the kiosk holds them).
    ``extra``: more sections, name → anything JSON can hold (the maintenance
    screens add counters and device history). ``journal``: the kiosk's journal
    lines (default ``journal_lines``). A section that cannot be read is named
    in the manifest's ``notes`` instead: a diagnostics tool must work on a
    terminal that is broken. Raises OSError if the bundle cannot be written.
    """
    home, target_dir = Path(home), Path(target_dir)
    now = datetime.now(UTC)
    notes: dict[str, str] = {}
    members: list[Member] = []

    def section(name: str, build: Callable[[], Any]) -> None:
        try:
            value = build()
        except Exception as e:  # noted, and the rest of the bundle still goes
            notes[name] = redact(f"{type(e).__name__}: {e}")
            return
        if value is not None:
            members.append(_member(f"{name}.json", _json_bytes(value)))

    section("config", lambda: config_summary(config))
    section("system", lambda: system_facts(home, now))
    if devices is None:
        notes["devices"] = "not opened: the running kiosk holds them (see alerts.json)"
    else:
        section("devices", lambda: [describe_device(n, d, config.device(n).driver)
                                    for n, d in devices.items()])
    section("audit", lambda: audit_summary(home))
    section("outbox", lambda: outbox_summary(home))
    section("alerts", lambda: alerts_summary(home))
    for name, value in (extra or {}).items():
        if not _EXTRA_NAME.fullmatch(name) or name in _RESERVED:
            notes[f"extra {name!r}"] = "refused: not a plain lower-case name, or taken"
            continue
        section(name, lambda value=value: value)
    try:
        members.extend(_log_members(home, journal or journal_lines, notes))
    except OSError as e:
        notes["logs"] = f"{type(e).__name__}: {e.strerror or e}"
    manifest = {"format": 1, "terminal_id": config.terminal.id,
                "created_at": now.isoformat(timespec="seconds"),
                "kiosk_version": package_version(),
                "members": [{"name": n, "size": size, "sha256": digest}
                            for n, _, size, digest in members],
                "notes": notes}
    try:
        return _write(target_dir / bundle_name(config.terminal.id, now),
                      [_member("manifest.json", _json_bytes(manifest)), *members], now)
    finally:
        for _, content, _, _ in members:
            content.close()


# --- the sections ---------------------------------------------------------------------------


def config_summary(config: Config) -> dict[str, Any]:
    """The configuration in effect, as JSON: the gateway credential, the
    technicians' PIN hashes and any key named like a credential hidden."""
    shown = asdict(config)
    technicians = shown.get("maintenance", {}).get("technicians")
    if isinstance(technicians, dict):
        shown["maintenance"]["technicians"] = {t: "(hash hidden)" for t in technicians}
    return _hide_secrets(shown)


def _hide_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("(set, hidden)" if _SECRET_KEY.search(str(k)) and v else _hide_secrets(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide_secrets(v) for v in value]
    return value


def describe_device(name: str, device: Any, driver: str) -> dict[str, Any]:
    """One device's status as a technician reads it (as ``kiosk devices status``):
    no personal data, a card's contents are never part of a status."""
    status = device.status
    return {"name": name, "kind": device.kind, "driver": driver,
            "simulated": bool(device.simulated), "usable": bool(status.usable),
            "reason": status.reason, "device": status.device.value, **plain_fields(status)}


def system_facts(home: Path, now: datetime) -> dict[str, Any]:
    disk = shutil.disk_usage(home)
    facts: dict[str, Any] = {
        "generated_at": now.isoformat(timespec="seconds"),
        "kiosk_version": package_version(), "python": platform.python_version(),
        "executable": sys.executable, "platform": platform.platform(),
        "machine": platform.machine(), "hostname": socket.gethostname(),
        "packages": {p: package_version(p) for p in KEY_PACKAGES},
        "disk": {"path": str(home), "total_bytes": disk.total, "free_bytes": disk.free}}
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        facts["uptime_s"] = uptime
        facts["boot_time"] = datetime.fromtimestamp(time.time() - uptime, UTC).isoformat(
            timespec="seconds")
    except (OSError, ValueError, IndexError):
        facts["uptime_s"] = None
    return facts


def _state(home: Path) -> tuple[Path, Path] | None:
    """The state database and key, if the kiosk ever ran here (a bundle must
    not create a key or a database on a terminal that has none)."""
    db, key = home / "state" / "terminal.db", home / "keys" / "data.key"
    return (db, key) if db.is_file() and key.is_file() else None


def audit_summary(home: Path) -> dict[str, Any]:
    """The audit log's check, head and last ``AUDIT_ENTRIES`` entries."""
    from kiosk.offline.audit import AuditLog
    from kiosk.offline.keys import load_or_create_key
    from kiosk.offline.store import open_state

    state = _state(home)
    if state is None:
        return {"available": False, "reason": "no state database or key: the kiosk never ran"}
    db = open_state(state[0])
    try:
        audit = AuditLog(db, load_or_create_key(state[1]))
        seq, digest = audit.head()
        return {"available": True, "verify": audit.verify().to_json(),
                "head": {"seq": seq, "hash": digest},
                "entries": [e.to_json() for e in audit.entries(since=max(0, seq - AUDIT_ENTRIES))]}
    finally:
        db.conn.close()


def outbox_summary(home: Path) -> dict[str, Any]:
    """Counts by state and department and the oldest pending age; of the pending
    and dead items, what ``kiosk queue list`` shows minus the summary. Payloads
    are never opened."""
    from kiosk.offline.keys import load_or_create_key
    from kiosk.offline.outbox import Outbox
    from kiosk.offline.sealed import Sealer
    from kiosk.offline.store import open_state

    state = _state(home)
    if state is None:
        return {"available": False, "reason": "no state database or key: the kiosk never ran"}
    db = open_state(state[0])
    try:
        # resume=False: a look must not take items from a running kiosk's worker.
        box = Outbox(db, Sealer(load_or_create_key(state[1])), resume=False)
        items = {s: [{"id": i.id, "service_id": i.service_id, "department": i.department,
                      "attempts": i.attempts, "created_at": i.created_at,
                      "next_attempt_at": i.next_attempt_at, "last_error": i.last_error}
                     for i in box.list(s)[-OUTBOX_ITEMS:]]
                 for s in ("pending", "dead")}
        return {"available": True, "status": box.status().to_json(), "items": items}
    finally:
        db.conn.close()


def alerts_summary(home: Path) -> list[dict[str, Any]] | None:
    """The alerts the kiosk last wrote (state/alerts.json), if it ever did."""
    from kiosk.devices.alerts import read_alerts

    path = home / "state" / "alerts.json"
    return [asdict(a) for a in read_alerts(path)] if path.is_file() else None


def journal_lines(limit: int = JOURNAL_LINES) -> list[str] | None:
    """The kiosk's last ``limit`` journal lines (its own entries and its unit's
    output: cage, Qt), or None where there is no journal to read."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return None
    try:
        result = subprocess.run(
            [journalctl, "--no-pager", "--quiet", "-o", "short-iso-precise", "-n", str(limit),
             "_SYSTEMD_UNIT=kiosk.service", "+", "SYSLOG_IDENTIFIER=kiosk"],
            capture_output=True, text=True, errors="replace", timeout=JOURNAL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line for line in result.stdout.splitlines() if line != "-- No entries --"]
    return lines if result.returncode == 0 and lines else None


def _log_members(home: Path, journal: Callable[[], list[str] | None],
                 notes: dict[str, str]) -> Iterable[Member]:
    logs = home / "logs"
    found = []
    if logs.is_dir():
        for path in sorted(logs.iterdir()):
            # Regular files only: a symlink here could point at the key.
            if path.name.startswith("kiosk.log") and path.is_file() and not path.is_symlink():
                found.append(path)
    for path in found:
        with path.open(encoding="utf-8", errors="replace", newline="") as lines:
            yield _spooled(f"logs/{path.name}", lines)
    lines = journal()
    if lines:
        yield _spooled("logs/journal.txt", (line + "\n" for line in lines))
    if not found and not lines:
        notes["logs"] = f"no log files in {logs} and no journal entries readable"


# --- writing --------------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    return json.dumps(_redact_strings(value), ensure_ascii=False, indent=1,
                      default=str).encode()


def _redact_strings(value: Any) -> Any:
    """Strings (keys too) redacted; numbers kept (a size of 10485760 is no phone)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): _redact_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_strings(v) for v in value]
    return value


def _member(name: str, data: bytes) -> Member:
    return name, io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest()


def _spooled(name: str, lines: Iterable[str]) -> Member:
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    digest, size = hashlib.sha256(), 0
    for line in lines:
        data = redact(line).encode("utf-8")
        spool.write(data)
        digest.update(data)
        size += len(data)
    spool.seek(0)
    return name, spool, size, digest.hexdigest()


def _write(path: Path, members: list[Member], now: datetime) -> Path:
    part = path.with_name(path.name + ".part")
    try:
        with part.open("xb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                for name, content, size, _ in members:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = size, 0o644, int(now.timestamp())
                    info.uname = info.gname = "kiosk"
                    tar.addfile(info, content)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself reaches the stick
        finally:
            os.close(fd)
    except OSError:  # some file systems cannot sync a directory; the data is synced
        pass
    return path




# --- where to write -------------------------------------------------------------------------


def usb_mounts(mounts: str) -> list[Path]:
    """The read-write mount points under /media/*, /media/*/* and /run/media/*/*
    in a /proc/mounts text, in its order."""
    found: list[Path] = []
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 4 or "rw" not in parts[3].split(","):
            continue
        # /proc/mounts writes space, tab, newline and backslash as octal escapes.
        point = PurePosixPath(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                                     parts[1]))
        if any(point.match(p) for p in USB_MOUNT_PATTERNS) and Path(point) not in found:
            found.append(Path(point))
    return found


def usb_targets(export_dir: str, *, mounts: str | None = None) -> list[Path]:
    """Where a bundle may go: ``export_dir`` if set (and a writable directory),
    else the writable USB mount points in ``mounts`` (default: /proc/mounts)."""
    if export_dir:
        candidates = [Path(export_dir).expanduser()]
    else:
        if mounts is None:
            try:
                mounts = Path("/proc/mounts").read_text(errors="replace")
            except OSError:
                mounts = ""
        candidates = usb_mounts(mounts)
    return [p for p in candidates if p.is_dir() and os.access(p, os.W_OK)]
