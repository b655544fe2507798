"""The terminal's own disk: its key, sealed records, a durable state file, kept printouts."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.offline.kept_prints import (
    KeptPrints,
    KeptState,
    UnknownReference,
    new_reference,
    normalise_reference,
)
from kiosk.offline.keys import KeyFileError, load_or_create_key
from kiosk.offline.sealed import Sealer, SealError
from kiosk.offline.store import open_state

PDF = b"%PDF-1.4\n/Type /Page\n(CHAN TAI MAN 1234567(8) serial 20250310000104)\n%%EOF"
OWNER = "id:1234567(8)"


def test_the_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "data.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_key(path) == key  # the same key at every start


def test_an_unsafe_or_damaged_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match=r"readable by others.*chmod 600"):
        load_or_create_key(path)
    path.chmod(0o600)
    path.write_bytes(b"short")
    with pytest.raises(KeyFileError, match="5 bytes, not 32"):
        load_or_create_key(path)


def test_sealed_data_opens_only_with_its_key_and_its_record(tmp_path: Path) -> None:
    sealer = Sealer(bytes(range(32)))
    blob = sealer.seal(PDF, "AAAA-BBBB")
    assert PDF not in blob and b"CHAN" not in blob
    assert sealer.open(blob, "AAAA-BBBB") == PDF
    with pytest.raises(SealError):
        sealer.open(blob, "AAAA-CCCC")  # copied onto another record
    with pytest.raises(SealError):
        Sealer(bytes(32)).open(blob, "AAAA-BBBB")  # another terminal's key
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(SealError):
        sealer.open(bytes(tampered), "AAAA-BBBB")
    with pytest.raises(SealError, match="too short"):
        sealer.open(b"x", "AAAA-BBBB")


def test_owner_tags_are_stable_keyed_and_hide_the_id_number() -> None:
    a, b = Sealer(bytes(32)), Sealer(bytes(range(32)))
    assert a.owner_tag(OWNER) == a.owner_tag(OWNER)
    assert a.owner_tag(OWNER) != b.owner_tag(OWNER)
    assert a.owner_tag(OWNER) != a.owner_tag("id:7654321(0)")
    assert "1234567" not in a.owner_tag(OWNER)


def test_the_state_file_is_durable(tmp_path: Path) -> None:
    db = open_state(tmp_path / "state" / "terminal.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert stat.S_IMODE((tmp_path / "state" / "terminal.db").stat().st_mode) == 0o600


def test_a_corrupt_state_file_is_set_aside_with_an_alarm(tmp_path: Path, caplog) -> None:
    path = tmp_path / "terminal.db"
    path.write_bytes(b"this is not a database" * 300)
    with caplog.at_level(logging.ERROR, logger="kiosk.offline.store"):
        db = open_state(path)
    db["t"].insert({"a": 1})  # a fresh, working file
    assert db["t"].count == 1
    aside = list(tmp_path.glob("terminal.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert any("ALARM" in r.getMessage() for r in caplog.records)


@pytest.fixture
def kept(tmp_path: Path) -> KeptPrints:
    return KeptPrints(open_state(tmp_path / "terminal.db"), Sealer(bytes(range(32))))


def test_a_kept_printout_is_sealed_on_disk_and_printed_once(kept: KeptPrints,
                                                            tmp_path: Path) -> None:
    record = kept.keep(PDF, service_id="ssm.voucher-print", owner=OWNER, job_name="vouchers-7",
                       pages=1, error="paper_out")
    assert record.state is KeptState.WAITING and record.attempts == 1
    assert record.last_error == "paper_out"
    assert kept.document(record.reference) == PDF
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("terminal.db*"))
    assert b"CHAN TAI MAN" not in on_disk and b"1234567" not in on_disk
    assert [k.reference for k in kept.waiting_for(OWNER, "ssm.voucher-print")] == \
        [record.reference]
    assert kept.waiting_for(OWNER, "dsi.id-renewal") == []
    assert kept.waiting_for("id:7654321(0)", "ssm.voucher-print") == []
    kept.failed_again(record.reference, "cover_open")
    assert kept.get(record.reference).attempts == 2
    kept.printed(record.reference, "technician")
    done = kept.get(record.reference)
    assert done.state is KeptState.PRINTED and done.printed_by == "technician"
    with pytest.raises(UnknownReference):
        kept.document(record.reference)  # erased once printed
    assert kept.waiting_for(OWNER, "ssm.voucher-print") == []


def test_old_printouts_are_erased_after_the_keep_time(kept: KeptPrints) -> None:
    old = kept.keep(PDF, service_id="s.a", owner=OWNER, job_name="j", pages=1, error="offline")
    assert kept.expire(now=old.kept_at + kept.keep_s - 1) == 0
    assert kept.expire(now=old.kept_at + kept.keep_s + 1) == 1
    assert kept.get(old.reference).state is KeptState.EXPIRED
    with pytest.raises(UnknownReference):
        kept.document(old.reference)


def test_kept_printouts_survive_a_restart(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "data.key")
    first = KeptPrints(open_state(tmp_path / "t.db"), Sealer(key))
    ref = first.keep(PDF, service_id="s.a", owner=OWNER, job_name="j", pages=1,
                     error="offline").reference
    del first
    again = KeptPrints(open_state(tmp_path / "t.db"),
                       Sealer(load_or_create_key(tmp_path / "data.key")))
    assert again.document(ref) == PDF


def test_unknown_references_are_refused(kept: KeptPrints) -> None:
    with pytest.raises(UnknownReference):
        kept.get("ZZZZ-ZZZZ")


@given(st.integers(min_value=0, max_value=2**32))
def test_references_survive_how_people_copy_them(seed: int) -> None:
    ref = new_reference()
    assert len(ref) == 9 and ref[4] == "-"
    assert not set(ref) & set("ILOU")
    copied = ref.lower().replace("-", " " if seed % 2 else "")
    assert normalise_reference(copied) == ref
    misread = ref.replace("0", "O").replace("1", "l")
    assert normalise_reference(misread) == ref


@given(st.text(max_size=20))
def test_any_typed_text_normalises_without_error(text: str) -> None:
    assert isinstance(normalise_reference(text), str)


def test_a_state_file_sqlite_cannot_open_as_a_database(tmp_path: Path) -> None:
    # A torn header from a failed disk: sqlite3 itself raises, the opener recovers.
    path = tmp_path / "terminal.db"
    sqlite3.connect(path).execute("create table t (a)").connection.commit()
    with open(path, "r+b") as f:
        f.seek(0)
        f.write(os.urandom(100))
    db = open_state(path)
    assert "t" not in db.table_names()
