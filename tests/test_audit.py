"""The audit log: technicians' acts chained by HMAC, so editing, deleting,
reordering or inserting entries is found by ``verify``; the CLI that shows and
checks it; and the queue and print commands that write to it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.offline.audit import GENESIS, AuditError, AuditLog
from kiosk.offline.keys import load_or_create_key
from tests.outbox_helpers import SERVICES, enqueue, open_outbox

KEY = bytes(range(32))


def db_path(home: Path) -> Path:
    return home / "state" / "terminal.db"


def raw(path: Path) -> sqlite3.Connection:
    """The file as someone with the disk sees it: the append-only triggers are
    only a guard against the kiosk's own mistakes, so they drop them first."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(db_path(tmp_path), KEY)
    for n in range(1, 6):
        audit.append("technician:T001", "config.change", setting=f"s{n}", value=n)
    return audit


def test_append_chains_and_verifies(tmp_path: Path) -> None:
    audit = AuditLog(db_path(tmp_path), KEY)
    assert audit.head() == (0, GENESIS) and audit.verify().ok
    first = audit.append("cli", "queue.drop", item=7, service="ssm.voucher")
    second = audit.append("system", "maintenance.enter", reason="door open")
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.at.endswith("+00:00") and "T" in first.at
    assert audit.head() == (2, second.hash)
    assert [e.to_json() for e in audit.entries()] == [first.to_json(), second.to_json()]
    assert [e.seq for e in audit.entries(since=1)] == [2]
    assert [e.seq for e in audit.entries(limit=1)] == [1]
    result = audit.verify()
    assert result.ok and result.count == 2 and result.head == (2, second.hash)
    # Another opener (another process) sees the same chain and continues it.
    again = AuditLog(db_path(tmp_path), KEY)
    assert again.append("cli", "print.reprint", reference="7K3Q-9F2A").prev_hash == second.hash


def test_the_kiosk_itself_cannot_update_or_delete(log: AuditLog) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        log._db.conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        log._db.conn.execute("DELETE FROM audit_log WHERE seq = 5")


def test_an_edited_entry_is_named(tmp_path: Path, log: AuditLog) -> None:
    raw(db_path(tmp_path)).execute(
        "UPDATE audit_log SET details = '{\"setting\":\"s3\",\"value\":99}' WHERE seq = 3")
    result = log.verify()
    assert not result.ok and (result.bad_seq, result.reason) == (3, "hash mismatch")


def test_a_rehashed_edit_without_the_key_is_named(tmp_path: Path, log: AuditLog) -> None:
    # The forger recomputes hashes with a key of their own: the HMAC refuses them.
    forger = AuditLog(tmp_path / "other.db", b"\x01" * 32)
    fake = forger.append("technician:T001", "config.change", setting="s1", value=1)
    raw(db_path(tmp_path)).execute("UPDATE audit_log SET at = ?, hash = ? WHERE seq = 1",
                                   [fake.at, fake.hash])
    assert (log.verify().bad_seq, log.verify().reason) == (1, "hash mismatch")


def test_a_deleted_middle_entry_is_a_gap(tmp_path: Path, log: AuditLog) -> None:
    raw(db_path(tmp_path)).execute("DELETE FROM audit_log WHERE seq = 3")
    result = log.verify()
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "gap in sequence")
    assert "expected seq 3, found 4" in str(result)


def test_swapped_entries_are_a_mismatch(tmp_path: Path, log: AuditLog) -> None:
    conn = raw(db_path(tmp_path))
    cols = "at, actor, action, details, prev_hash, hash"
    two, three = (conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", [n]).fetchone()
                  for n in (2, 3))
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = 2", [*three])
    conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = 3", [*two])
    result = log.verify()
    assert (result.ok, result.bad_seq, result.reason) == (False, 2, "hash mismatch")


def test_a_spliced_entry_is_a_broken_chain(tmp_path: Path, log: AuditLog) -> None:
    # An entry validly hashed under this key but written on another chain (a
    # copy of the database that went its own way) fits its seq, not its place.
    other = AuditLog(tmp_path / "copy.db", KEY)
    for n in range(1, 4):
        forged = other.append("technician:T001", "config.change", setting=f"x{n}", value=n)
    conn = raw(db_path(tmp_path))
    conn.execute("DELETE FROM audit_log WHERE seq >= 3")
    conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                 [forged.seq, forged.at, forged.actor, forged.action,
                  json.dumps(dict(forged.details), sort_keys=True, separators=(",", ":")),
                  forged.prev_hash, forged.hash])
    result = log.verify()
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "chain broken")


def test_a_cut_tail_shows_only_against_the_reported_head(tmp_path: Path,
                                                         log: AuditLog) -> None:
    reported = log.head()  # what the fleet heartbeat last sent
    raw(db_path(tmp_path)).execute("DELETE FROM audit_log WHERE seq > 3")
    # verify() alone cannot tell: entries 1..3 are still a perfect chain. Only the
    # head reported outside earlier shows that entries 4 and 5 are gone.
    assert log.verify().ok and log.verify().count == 3
    assert log.head() != reported and log.head()[0] < reported[0]


@pytest.mark.parametrize("key", ["name", "id_number", "phone", "card", "photo", "Email",
                                 "card_number"])
def test_personal_keys_are_refused(tmp_path: Path, key: str) -> None:
    audit = AuditLog(db_path(tmp_path), KEY)
    with pytest.raises(AuditError, match="nothing personal"):
        audit.append("cli", "queue.drop", **{key: "x"})
    assert audit.head() == (0, GENESIS)


@pytest.mark.parametrize(("actor", "action", "details"), [
    ("", "queue.drop", {}), ("Technician", "queue.drop", {}), ("cli", "drop", {}),
    ("cli", "queue.drop", {"nested": {"a": 1}}), ("cli", "queue.drop", {"x": [1]}),
    ("cli", "queue.drop", {"x": float("nan")}), ("cli", "queue.drop", {"x": "y" * 3000}),
])
def test_bad_entries_are_refused(tmp_path: Path, actor: str, action: str,
                                 details: dict) -> None:
    with pytest.raises(AuditError):
        AuditLog(db_path(tmp_path), KEY).append(actor, action, **details)


@pytest.mark.parametrize("shared", [True, False], ids=["one-log", "log-per-thread"])
def test_four_threads_fifty_each(tmp_path: Path, shared: bool) -> None:
    first = AuditLog(db_path(tmp_path), KEY)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        audit = first if shared else AuditLog(db_path(tmp_path), KEY)
        try:
            for i in range(50):
                audit.append(f"technician:T{n}", "queue.drop", item=i)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = first.verify()
    assert result.ok and result.count == 200 and first.head()[0] == 200
    seen = {(e.actor, e.details["item"]) for e in first.entries()}
    assert len(seen) == 200


scalars = st.one_of(st.text(max_size=40), st.integers(min_value=-(2**63), max_value=2**63 - 1))
detail_keys = st.text(min_size=1, max_size=12).filter(
    lambda k: k.lower() not in {"name", "id_number", "phone", "card", "photo", "email",
                                "address", "text", "citizen", "form", "otp_token",
                                "payment_id", "card_number", "face", "birth_date",
                                "date_of_birth", "owner", "document"})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(detail_keys, scalars, max_size=5), min_size=1, max_size=4))
def test_any_small_details_keep_the_chain_valid(tmp_path: Path,
                                                batches: list[dict]) -> None:
    audit = AuditLog(tmp_path / "h.db", KEY)
    before = audit.head()[0]
    for details in batches:
        entry = audit.append("cli", "config.change", **details)
        assert entry.details == details
    assert audit.verify().ok
    assert [e.details for e in audit.entries(since=before)] == batches


# --- the command line ------------------------------------------------------------

def kiosk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "KIOSK_HOME": str(home)})


def home_log(home: Path) -> AuditLog:
    return AuditLog(db_path(home), load_or_create_key(home / "keys" / "data.key"))


def test_cli_show_and_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    empty = kiosk(home, "audit", "show")
    assert empty.returncode == 0 and "the audit log is empty" in empty.stdout
    audit = home_log(home)
    for n in range(1, 5):
        audit.append("technician:T001", "config.change", setting=f"s{n}")
    shown = kiosk(home, "audit", "show")
    assert shown.returncode == 0, shown.stderr
    assert "technician:T001" in shown.stdout and "setting=s4" in shown.stdout
    last = json.loads(kiosk(home, "audit", "show", "--json", "--limit", "2").stdout)
    assert [e["seq"] for e in last] == [3, 4] and last[1]["hash"] == audit.head()[1]
    ok = kiosk(home, "audit", "verify")
    assert ok.returncode == 0 and "intact: 4 entries" in ok.stdout

    raw(db_path(home)).execute("UPDATE audit_log SET actor = 'cli' WHERE seq = 2")
    bad = kiosk(home, "audit", "verify")
    assert bad.returncode == 1
    assert "entry 2: hash mismatch" in bad.stderr and "Traceback" not in bad.stderr
    as_json = json.loads(kiosk(home, "audit", "verify", "--json").stdout)
    assert as_json["ok"] is False and as_json["bad_seq"] == 2


def test_queue_retry_and_drop_are_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    box = open_outbox(home)
    dead = enqueue(box, SERVICES[0], "audit-1")
    assert box.claim(dead.id) is not None
    box.dead(dead.id, "refused")
    retried = kiosk(home, "queue", "retry", str(dead.id))
    assert retried.returncode == 0, retried.stderr
    dropped = kiosk(home, "queue", "drop", str(dead.id))
    assert dropped.returncode == 0, dropped.stderr
    refused = kiosk(home, "queue", "drop", str(dead.id))  # already dropped: no act, no entry
    assert refused.returncode == 1
    entries = home_log(home).entries()
    assert [(e.actor, e.action, e.details["item"]) for e in entries] == [
        ("cli", "queue.retry", dead.id), ("cli", "queue.drop", dead.id)]
    assert entries[1].details["state"] == "dropped"
    assert home_log(home).verify().ok


def test_a_reprint_is_recorded(tmp_path: Path) -> None:
    from kiosk.app import kept_prints
    from kiosk.cli_print import sample_pdf
    from kiosk.config import Config

    home = tmp_path / "home"
    kept = kept_prints(Config(), home).keep(
        sample_pdf("receipt", "en"), service_id="ssm.receipt", owner="tag", job_name="receipt",
        pages=1, error="paper_out")
    config = tmp_path / "terminal.toml"
    config.write_text("[devices.printer]\nseconds_per_page = 0.0\n")
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(config),
                             "print", "reprint", kept.reference], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "KIOSK_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    (entry,) = home_log(home).entries()
    assert (entry.actor, entry.action) == ("cli", "print.reprint")
    assert entry.details["reference"] == kept.reference and entry.details["pages"] == 1
