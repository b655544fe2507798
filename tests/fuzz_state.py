"""Fuzz targets for what the terminal reads from its own disk and its
technicians: the config file and its migration, PIN hashes and the lockout
file, sealed records, the audit log's table as someone may have edited it, and
the pinyin keyboard's keys.

Seeds are the example config, real PIN hashes (at the lowest cost the rules
allow, so a check takes a millisecond), sealed blobs and a real audit log.
"""

from __future__ import annotations

import json
import math
import tempfile
import tomllib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import tomlkit
from sqlite_utils import Database

from kiosk.config import CONFIG_VERSION, Config, ConfigError
from kiosk.config.migrate import upgrade, version_of
from kiosk.config.schema import parse
from kiosk.i18n.pinyin import MAX_BUFFER, MAX_CANDIDATES, Composer
from kiosk.maintenance.credentials import (
    CredentialError,
    Gate,
    check_record,
    gate_for,
    hash_pin,
    pin_matches,
)
from kiosk.offline.audit import TABLE, AuditLog, VerifyResult
from kiosk.offline.sealed import Sealer, SealError
from tests.fuzz_targets import (
    Source,
    Target,
    chance,
    json_value,
    mutate_bytes,
    mutate_json,
    mutate_text,
)

ROOT = Path(__file__).resolve().parent.parent
KEY = bytes(range(32))
PIN = "246810"
# Lines worth putting in a config: sections, keys with edge values, v1 forms.
CONFIG_LINES = (
    "version = 1", "version = 3", "version = true", "version = -1", "[terminal]",
    "[backend]", "[maintenance]", "[maintenance.technicians.T1]", "[devices.printer]",
    "[devices.speaker]", "[services]", "[services.hours]", "[identity]", "[fleet]", "[face]",
    'trusted_issuers = ["/tmp/no-such\\u0000file"]', 'trusted_issuers = ["relative.pem"]',
    'url = "http://[::1"', 'url = "https://gw.example:0/"', 'url = "http://h:99999/"',
    'metrics_listen = "127.0.0.1:١٢٣"', 'metrics_listen = "[::1]:0"', "idle_timeout_s = inf",
    "idle_timeout_s = nan", "retries = 9999999999999999999999", "volume = 101",
    'queue = "a b"', 'driver = "cups"', 'driver = "escpos"', 'dsi = "09:00-24:00"',
    'dsi = "24:00-09:00"', 'enabled = ["*", ""]', 'languages = ["pt", "pt"]',
    'pin = "scrypt$1024$8$1$c2FsdA==$ZGlnZXN0"', 'role = "field"', "role = 1",
    'T001 = "scrypt$16384$8$1$c2FsdA==$ZGlnZXN0"', 'threshold = 1e400', "heartbeat_s = 4",
    'landmarks = "5"', "challenge_length = 0", 'level = "debug"', "max_bytes = 1")


@cache
def records() -> tuple[str, ...]:
    """PIN hashes as `kiosk maintenance hash-pin` writes them, at the cheapest cost."""
    return tuple(hash_pin(PIN, n=2**12, r=1, p=1) for _ in range(2))


@cache
def config_seeds() -> tuple[str, ...]:
    example = (ROOT / "config" / "terminal.example.toml").read_text(encoding="utf-8")
    one, two = records()
    v2 = (f'version = 2\n[maintenance.technicians.T001]\npin = "{one}"\nrole = "technician"\n'
          f'[maintenance.technicians.F2]\npin = "{two}"\nrole = "field"\n'
          '[devices.printer]\ndriver = "cups"\nqueue = "kiosk"\n[devices.speaker]\n'
          'volume = 80\n[services]\nenabled = ["*"]\n[services.hours]\ndsi = "09:00-17:45"\n')
    v1 = f'[maintenance]\nmax_failures = 4\n[maintenance.technicians]\nT001 = "{one}"\n'
    return example, v2, v1


def _toml_safe(value: Any) -> Any:
    """What TOML can hold: None has no TOML form."""
    if isinstance(value, dict):
        return {str(k): _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_safe(v) for v in value if v is not None]
    return value


def gen_config(src: Source) -> str:
    seed = src.choice(config_seeds())
    if chance(src, 40):
        return mutate_text(src, seed, CONFIG_LINES)
    data = tomllib.loads(seed)
    keys = ("version", "terminal", "backend", "session", "identity", "devices", "services",
            "maintenance", "technicians", "pin", "role", "hours", "enabled", "driver", "url")
    try:
        return tomlkit.dumps(_toml_safe(mutate_json(src, data, keys)))
    except Exception:  # a value tomlkit cannot write (a lone surrogate): edit the text
        return mutate_text(src, seed, CONFIG_LINES)


def check_config(text: str) -> None:
    config = parse(text, warn_old=False)
    assert isinstance(config, Config) and config.version == CONFIG_VERSION
    # What the kiosk does next with it: the maintenance gate from its technicians.
    with tempfile.TemporaryDirectory() as home:
        gate_for(config, Path(home))


def gen_migrate(src: Source) -> dict[str, Any]:
    raw = mutate_json(src, tomllib.loads(src.choice(config_seeds())),
                      ("version", "maintenance", "technicians", "pin", "role"))
    return raw if isinstance(raw, dict) else {"maintenance": raw}  # a file is a table


def check_migrate(raw: dict[str, Any]) -> None:
    notes = upgrade(raw)
    assert all(isinstance(n, str) for n in notes)
    assert version_of(raw) == CONFIG_VERSION and upgrade(raw) == []


def gen_record(src: Source) -> str:
    record = src.choice(records())
    if chance(src, 50):
        return mutate_text(src, record)
    parts = record.split("$")
    i = src.integer(1, 5)
    parts[i] = (str(src.choice((0, 1, 2, 3, 2**12, 2**14, 2**20, 2**30, 2**62, 10**6, 10**30)))
                if i <= 3 else src.choice(("", "=", "a", "ab=", "YQ", "@@", parts[i] * 3,
                                           parts[i][:-1], parts[i].rstrip("="))))
    return "$".join(parts)


def check_record_target(record: str) -> None:
    check_record(record)
    # A record the rules accept can be checked in bounded time, and only its PIN matches.
    assert isinstance(pin_matches(PIN, record), bool)
    assert pin_matches("135790", record) is False


def gen_lockout(src: Source) -> str:
    state: dict[str, Any] = {"failures": src.integer(0, 4), "locked_until": 0.0,
                             "lockouts": src.integer(0, 3)}
    if chance(src, 10):
        return mutate_text(src, json.dumps(state))
    for _ in range(src.integer(1, 2)):
        state[src.choice(("failures", "locked_until", "lockouts"))] = json_value(src)
    return json.dumps(state)


def check_lockout(text: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        state = Path(home) / "lockout.json"
        state.write_text(text, encoding="utf-8", errors="surrogatepass")
        gate = Gate({"T001": records()[0]}, state, max_failures=5, lockout_s=300.0,
                    clock=lambda: 1_000_000.0)
        for _ in range(2):
            attempt = gate.try_pin("135790")
            assert not attempt.ok
            # The screen shows the wait in minutes: a number it can round.
            assert math.isfinite(attempt.locked_for_s) and attempt.locked_for_s >= 0
            assert attempt.failures_left >= 0


@cache
def sealed() -> tuple[Sealer, tuple[tuple[bytes, str, bytes], ...]]:
    sealer = Sealer(KEY)
    plain = (b'{"form":{}}', b"%PDF-1.4 a printout", b"")
    return sealer, tuple((p, f"outbox/{i}", sealer.seal(p, f"outbox/{i}"))
                         for i, p in enumerate(plain))


def gen_sealed(src: Source) -> tuple[bytes, str, bytes]:
    _, blobs = sealed()
    plain, aad, blob = src.choice(blobs)
    if chance(src, 20):  # another record's identity (the kiosk makes them: ASCII)
        aad = src.choice(blobs)[1] if chance(src, 50) else f"outbox/{src.integer(0, 99)}"
    elif chance(src, 90):
        blob = mutate_bytes(src, blob, [b for _, _, b in blobs])
    return plain, aad, blob


def check_sealed(value: tuple[bytes, str, bytes]) -> None:
    sealer, blobs = sealed()
    plain, aad, blob = value
    opened = sealer.open(blob, aad)
    assert (plain, aad, blob) in blobs and opened == plain, "a forged or moved blob opened"
    assert sealer.open(sealer.seal(plain, aad), aad) == plain


@cache
def audit_rows() -> tuple[tuple[Any, ...], ...]:
    log = AuditLog(Database(memory=True), KEY, clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
    log.append("cli", "config.change", key="session.idle_timeout_s", old=60, new=90.5)
    log.append("technician:T001", "maintenance.enter")
    log.append("system", "queue.drop", item=3, reason="ünïcode 陳")
    return tuple(log._db.conn.execute(f"SELECT * FROM {TABLE} ORDER BY seq").fetchall())


def cell(src: Source, old: Any) -> Any:
    """A value someone with the database file might write in a cell."""
    op = src.integer(0, 6)
    if op == 0:
        return src.choice((None, 0, -1, 2**63 - 1, 1.5, math.nan, b"\xff\xfe", "", "[]"))
    if op == 1 and isinstance(old, str):
        return mutate_text(src, old)
    if op == 2:
        value = json_value(src)
        return json.dumps(value) if chance(src, 80) else value
    if op == 3:
        return src.choice(('{"a":"\\ud800"}', "[" * 5000 + "]" * 5000, '{"a":1e999}', "NaN",
                           '{"a":' * 3000 + "1" + "}" * 3000, "1", '"x"', "null"))
    if op == 4:
        return ("TEXT", mutate_bytes(src, str(old).encode()))  # bytes stored as TEXT
    return src.choice(audit_rows())[src.integer(0, 6)]


def gen_audit(src: Source) -> list[list[Any]]:
    rows = [list(r) for r in audit_rows()]
    for _ in range(src.integer(1, 2)):
        op = src.integer(0, 5)
        i = src.integer(0, len(rows) - 1) if rows else 0
        if op == 0 and rows:
            del rows[i]
        elif op == 1 and rows:
            rows.insert(i, list(rows[i]))
        elif rows:
            j = src.integer(0, 6)
            rows[i][j] = cell(src, rows[i][j])
    return rows


def audit_log(rows: list[list[Any]] | tuple[tuple[Any, ...], ...]) -> AuditLog:
    """A log whose table holds ``rows`` as far as the table takes them (a NOT
    NULL, a repeated seq are refused: so they would be for whoever edits the file)."""
    db = Database(memory=True)
    log = AuditLog(db, KEY)
    for verb in ("update", "delete"):
        db.conn.execute(f"DROP TRIGGER {TABLE}_no_{verb}")
    for row in rows:
        marks = ", ".join("CAST(? AS TEXT)" if isinstance(v, tuple) else "?" for v in row)
        values = [v[1] if isinstance(v, tuple) else v for v in row]
        try:
            db.conn.execute(f"INSERT INTO {TABLE} VALUES ({marks})", values)
        except Exception:
            continue
    return log


def stored(log: AuditLog) -> list[tuple[Any, ...]]:
    """The table's cells as SQLite keeps them (type and bytes), in seq order."""
    cells = ", ".join(f"typeof({c}) || hex({c})" for c in
                      ("seq", "at", "actor", "action", "details", "prev_hash", "hash"))
    return log._db.conn.execute(f"SELECT {cells} FROM {TABLE} ORDER BY seq").fetchall()


def check_audit(rows: list[list[Any]]) -> None:
    log = audit_log(rows)
    result = log.verify()
    assert isinstance(result, VerifyResult)
    if result.ok:  # only the genuine log, or its first entries (a cut tail), verifies
        now = stored(log)
        assert now == stored(audit_log(audit_rows()))[:len(now)], "an edited log verified"
    for e in log.entries():  # what `kiosk audit show` prints, as text and as JSON
        json.dumps(e.to_json(), ensure_ascii=False).encode()
        f"{e.seq:>6}  {e.at}  {e.actor:18}  {e.action:20}  {e.details}".encode()


def gen_keys(src: Source) -> list[tuple[str, Any]]:
    keys = []
    for _ in range(src.integer(1, 60)):
        op = src.integer(0, 9)
        if op < 7:
            keys.append(("type", src.choice("abcdefghijklmnopqrstuvwxyz") if op < 6
                         else src.text(1, min_size=1)))
        elif op == 7:
            keys.append(("erase", None))
        else:
            keys.append(("pick", src.integer(0, 300)))
    return keys


def check_keys(keys: list[tuple[str, Any]]) -> None:
    composer = Composer()
    for what, arg in keys:
        if what == "type":
            composer.type(arg)
        elif what == "erase":
            composer.erase()
        elif arg < len(composer.candidates):  # the bar shows only what there is
            assert composer.pick(arg)
        assert len(composer.buffer) <= MAX_BUFFER
        shown = composer.candidates
        assert len(shown) <= MAX_CANDIDATES
        assert all(c.text and min(c.text) >= "\u4e00" and max(c.text) <= "\u9fff" for c in shown)


TARGETS = [
    Target("config.text", "ConfigError, or a current-version Config whose technicians "
           "make a maintenance gate", gen_config, check_config, (ConfigError,)),
    Target("config.migrate", "ConfigError, or the data at the current version, with "
           "nothing more to migrate", gen_migrate, check_migrate, (ConfigError,)),
    Target("credentials.record", "CredentialError, or a hash checked in bounded time that "
           "only its PIN matches", gen_record, check_record_target, (CredentialError,),
           examples=150),
    Target("credentials.lockout", "any lockout file: a refused attempt with a finite wait, "
           "never an exception", gen_lockout, check_lockout, (), examples=150),
    Target("sealed.open", "SealError, or the plaintext of the very blob and record it was "
           "sealed for; seal then open round-trips", gen_sealed, check_sealed, (SealError,)),
    Target("audit.table", "any edit of the table: verify() names a bad entry (only a cut "
           "tail verifies), entries() and their JSON never raise", gen_audit, check_audit, ()),
    Target("pinyin.keys", "any keys: a bounded buffer and candidates of Chinese characters",
           gen_keys, check_keys, (), examples=150),
]
