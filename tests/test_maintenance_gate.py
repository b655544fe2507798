"""Who may enter maintenance mode: scrypt-hashed PINs and a lockout that outlives a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ConfigError, parse
from kiosk.maintenance.credentials import (
    CredentialError,
    Gate,
    check_record,
    gate_for,
    hash_pin,
    pin_matches,
)

FAST = 2**12  # the cheapest scrypt cost the gate accepts: tests need not wait


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def records() -> dict[str, str]:
    return {"T001": hash_pin("246810", n=FAST), "T002": hash_pin("135791", n=FAST)}


def test_a_pin_is_kept_only_as_its_hash(records) -> None:
    assert "246810" not in records["T001"]
    assert hash_pin("246810", n=FAST) != records["T001"]  # a new salt each time
    assert pin_matches("246810", records["T001"])
    assert not pin_matches("246811", records["T001"])
    for bad in ("12345", "abcdef", "1234567890123", "12 345"):
        with pytest.raises(CredentialError):
            hash_pin(bad)


def test_the_pin_names_the_technician_or_must_be_theirs(records, tmp_path: Path) -> None:
    gate = Gate(records, tmp_path / "lock.json", clock=Clock())
    assert gate.try_pin("135791").technician == "T002"  # PIN alone
    assert gate.try_pin("135791", "T002").ok  # a technician card says whose
    assert not gate.try_pin("135791", "T001").ok  # another's PIN is a wrong PIN


def test_wrong_pins_lock_the_gate_and_a_restart_does_not_unlock_it(records,
                                                                   tmp_path: Path) -> None:
    clock = Clock()
    state = tmp_path / "lock.json"
    gate = Gate(records, state, max_failures=5, lockout_s=300, clock=clock)
    lefts = [gate.try_pin("000000").failures_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    locked = gate.try_pin("000000")
    assert not locked.ok and locked.locked_for_s == 300
    again = Gate(records, state, max_failures=5, lockout_s=300, clock=clock)  # restarted
    refused = again.try_pin("246810")
    assert not refused.ok and refused.locked_for_s == 300  # the right PIN, refused unread
    clock.now += 300
    for _ in range(5):
        last = again.try_pin("999999")
    assert last.locked_for_s == 600  # each lockout doubles
    clock.now += 600
    assert again.try_pin("246810").technician == "T001"
    assert again.try_pin("000000").failures_left == 4  # a right PIN clears the count


def test_a_damaged_lockout_file_locks_rather_than_unlocks(records, tmp_path: Path) -> None:
    state = tmp_path / "lock.json"
    state.write_text("{not json", encoding="utf-8")
    assert Gate(records, state, clock=Clock()).try_pin("246810").locked_for_s > 0


def test_the_config_holds_hashes_never_pins(tmp_path: Path, records) -> None:
    with pytest.raises(ConfigError, match=r"maintenance\.technicians\.T001: must be a PIN hash"):
        parse('[maintenance.technicians]\nT001 = "246810"\n')
    with pytest.raises(ConfigError, match=r"maintenance\.max_failures"):
        parse("[maintenance]\nmax_failures = 0\n")
    with pytest.raises(ConfigError, match=r"maintenance\.technicians: not a PIN hash"):
        gate_for(parse('[maintenance.technicians]\nT001 = "scrypt$1$2$3$x$y"\n'), tmp_path)
    config = parse(f'[maintenance.technicians]\nT001 = "{records["T001"]}"\n')
    assert gate_for(config, tmp_path).try_pin("246810").technician == "T001"


def test_hash_pin_on_the_command_line_makes_a_line_the_config_takes(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "maintenance", "hash-pin", "T007",
                           "--role", "field"],
                          input="97531864\n", capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KIOSK_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "97531864" not in done.stdout
    config = parse("version = 2\n" + done.stdout)  # the lines as printed, pasted in
    assert gate_for(config, tmp_path).try_pin("97531864").technician == "T007"
    assert config.maintenance.role_of("T007") == "field"
    short = subprocess.run([sys.executable, "-m", "kiosk.cli", "maintenance", "hash-pin", "T7"],
                           input="123\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and "6 to 12 digits" in short.stderr


@given(st.text(max_size=120))
def test_any_stored_text_is_a_hash_or_a_clear_error(text: str) -> None:
    try:
        check_record(text)
    except CredentialError:
        return
    assert text.startswith("scrypt$")
