"""Technician credentials: scrypt-hashed PINs and a lockout that survives a restart.

A technician's PIN is never stored, only ``scrypt$N$r$p$salt$hash`` (made by
``kiosk maintenance hash-pin``) in the terminal's config, so a copied config
file does not give the PIN away without a search of scrypt's cost per guess.
A 6-digit PIN alone is a million guesses: the lockout is what makes guessing
at the screen hopeless (5 wrong PINs lock the gate for 5 minutes, doubling at
each lockout up to an hour), and it is kept on disk, so switching the kiosk
off and on does not reset it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Config, ConfigError
from kiosk.config.files import write_atomically

# scrypt's cost: 2^14 × 8 × 1 is about 16 MB and 50 ms a guess on the kiosk.
N, R, P = 2**14, 8, 1
PIN = re.compile(r"\d{6,12}")
RECORD = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)")
MAX_LOCKOUT_S = 3600.0
# The most a stored record may make one check cost: 8 times the default's work,
# within the 32 MiB OpenSSL's scrypt allows (128·r·(N + p + 2) bytes).
MAX_WORK = 8 * N * R * P
MAX_SCRYPT_BYTES = 32 * 1024 * 1024


class CredentialError(ValueError):
    """A PIN or a stored hash that breaks the rules (the message says which)."""


def hash_pin(pin: str, *, n: int = N, r: int = R, p: int = P) -> str:
    if not PIN.fullmatch(pin):
        raise CredentialError("a technician PIN is 6 to 12 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(digest)])


def check_record(record: str) -> None:
    """Raise CredentialError if ``record`` is not a stored PIN hash, or one whose
    cost or encoding ``pin_matches`` could not take (a config file is typed by
    people: a slip must be an error here, not a hang or a crash at the PIN screen)."""
    m = RECORD.fullmatch(record)
    n, r, p = (int(m[1]), int(m[2]), int(m[3])) if m else (0, 0, 0)
    try:
        digest = base64.b64decode(m[5], validate=True) if m else b""
        base64.b64decode(m[4] if m else "", validate=True)
    except binascii.Error:
        digest = b""
    if (not m or n < 2**12 or n & (n - 1) or r < 1 or p < 1 or n * r * p > MAX_WORK
            or 128 * r * (n + p + 2) > MAX_SCRYPT_BYTES or len(digest) != 32):
        raise CredentialError("not a PIN hash made by `kiosk maintenance hash-pin`")


def pin_matches(pin: str, record: str) -> bool:
    """Whether ``pin`` is the one ``record`` was made from (in constant time)."""
    check_record(record)
    _, n, r, p, salt, digest = record.split("$")
    tried = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                           p=int(p), dklen=32)
    return hmac.compare_digest(tried, base64.b64decode(digest))


@dataclass(frozen=True)
class Attempt:
    technician: str | None  # who, when the PIN was right
    locked_for_s: float = 0.0  # > 0: refused without checking, the gate is locked
    failures_left: int = 0

    @property
    def ok(self) -> bool:
        return self.technician is not None


class Gate:
    """Checks PINs against the technicians' hashes; locks after ``max_failures``.

    ``state_file`` keeps the count and the lockout (atomically replaced)."""

    def __init__(self, technicians: Mapping[str, str], state_file: Path, *,
                 max_failures: int = 5, lockout_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        for record in technicians.values():
            check_record(record)
        self.technicians = dict(technicians)
        self.state_file = Path(state_file)
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock

    def try_pin(self, pin: str, technician: str | None = None) -> Attempt:
        """One try: ``technician`` names whose PIN it is (a technician card says
        so); None where PINs alone are configured (any technician's matches)."""
        state = self._load()
        now = self.clock()
        if state["locked_until"] > now:
            return Attempt(None, locked_for_s=state["locked_until"] - now)
        candidates = [technician] if technician else sorted(self.technicians)
        who = next((t for t in candidates if t in self.technicians
                    and pin_matches(pin, self.technicians[t])), None)
        if who is not None:
            self._save({"failures": 0, "locked_until": 0.0, "lockouts": state["lockouts"]})
            return Attempt(who)
        failures = state["failures"] + 1
        if failures >= self.max_failures:
            span = min(self.lockout_s * 2 ** state["lockouts"], MAX_LOCKOUT_S)
            self._save({"failures": 0, "locked_until": now + span,
                        "lockouts": state["lockouts"] + 1})
            return Attempt(None, locked_for_s=span)
        self._save({**state, "failures": failures})
        return Attempt(None, failures_left=self.max_failures - failures)

    def _load(self) -> dict:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            state = {"failures": int(data["failures"]),
                     "locked_until": float(data["locked_until"]),
                     "lockouts": int(data["lockouts"])}
            # Counts the gate could have written (never negative) and a finite time.
            if min(state["failures"], state["lockouts"]) < 0 or not math.isfinite(
                    state["locked_until"]):
                raise ValueError("out of range")
            # Past 32 lockouts the wait is MAX_LOCKOUT_S anyway (300 s · 2**32); a
            # bigger count would only make 2**lockouts huge (slow, then no float).
            state["lockouts"] = min(state["lockouts"], 32)
            return state
        except FileNotFoundError:
            return {"failures": 0, "locked_until": 0.0, "lockouts": 0}
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            # A damaged or edited file locks, it does not unlock.
            return {"failures": 0, "locked_until": self.clock() + self.lockout_s, "lockouts": 1}

    def _save(self, state: dict) -> None:
        # Durably: switching the kiosk off and on must not reset the count.
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_file, json.dumps(state).encode())


# What each role may do in maintenance mode (config: [maintenance.technicians.ID]
# role): field staff service the devices; only a technician changes settings.
ACTS = ("diagnostics", "consumables", "settings")
PERMITS: dict[str, frozenset[str]] = {
    "technician": frozenset(ACTS),
    "field": frozenset({"diagnostics", "consumables"}),
}


def may(role: str, act: str) -> bool:
    """Whether ``role`` may do ``act`` (one of ACTS); an unknown role may do nothing."""
    if act not in ACTS:
        raise ValueError(f"{act!r} is not one of {', '.join(ACTS)}")
    return act in PERMITS.get(role, frozenset())


def gate_for(config: Config, home: Path) -> Gate:
    """The terminal's gate: its technicians and lockout from ``[maintenance]``,
    the count kept in ``state/maintenance-lockout.json`` under ``home``."""
    m = config.maintenance
    try:
        return Gate(m.technicians, home / "state" / "maintenance-lockout.json",
                    max_failures=m.max_failures, lockout_s=m.lockout_s)
    except CredentialError as e:
        raise ConfigError(f"maintenance.technicians: {e}") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
