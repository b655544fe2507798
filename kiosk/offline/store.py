"""The terminal's SQLite state, opened durably; a corrupt file is set aside.

WAL with synchronous FULL: a commit that returned survives a power cut (NORMAL
may roll the last commits back). A file SQLite cannot read is renamed, with an
alarm in the log, and a fresh one is started, so the kiosk keeps serving.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

log = logging.getLogger(__name__)


def open_state(path: Path) -> Database:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return _open(path)
    except sqlite3.DatabaseError as e:
        quarantined = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.rename(f"{quarantined}{suffix}")
        log.error("ALARM state database %s unreadable (%s); set aside as %s", path, e,
                  quarantined.name)
        return _open(path)


def _open(path: Path) -> Database:
    # The journey's thread writes and the CLI reads: one connection per opener,
    # shared across threads only under sqlite3's own serialisation.
    conn = sqlite3.connect(path, timeout=10.0, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    check = conn.execute("PRAGMA quick_check").fetchall()
    if check != [("ok",)]:
        conn.close()
        raise sqlite3.DatabaseError(f"quick_check: {check[0][0] if check else 'no answer'}")
    path.chmod(0o600)
    return Database(conn)
