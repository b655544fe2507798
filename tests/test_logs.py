"""kiosk.logs: redaction (property-tested), rotated text and JSON files, and the
journal's native protocol, on a socket of the test's own and on a real
systemd-journald (in a private mount namespace, read back with journalctl)."""

from __future__ import annotations

import base64
import datetime
import json
import logging
import os
import random
import shutil
import socket
import string
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import Config
from kiosk.config.schema import LoggingConfig
from kiosk.logs import (
    JOURNAL_SOCKET,
    TRUNCATED_FIELD_BYTES,
    JournalHandler,
    install,
    journal_handler,
    redact,
    resolve_target,
    setup_logging,
)

REPO = Path(__file__).resolve().parent.parent
CITIZEN_ID = "5215299(8)"
PHONE = "+853 6612 3401"

# --- redaction, property-tested ----------------------------------------------------------


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# Photos and keys are high-entropy bytes: drawn from the standard library's
# generator under a seed hypothesis picks, not from hypothesis' own bytes (which
# shrink to runs of 00, base64 "AAAA...", which no photo is).
_random_bytes = st.tuples(st.integers(0, 2**32), st.integers(30, 300)).map(
    lambda r: random.Random(r[0]).randbytes(r[1]))

PERSONAL = st.one_of(
    st.builds(lambda d, c: f"{d}({c})", digits(7), digits(1)),  # ID number
    st.builds(lambda d, c: f"{d} ({c})", digits(7), digits(1)),
    digits(8),  # ID without its parentheses, or a phone
    digits(7).map(lambda d: "C" + d),  # demo card number
    st.emails(),
    st.builds(lambda a, b: f"6{a} {b}", digits(3), digits(4)),
    st.builds(lambda a, b: f"+853 {a} {b}", digits(4), digits(4)),
    digits(8).map(lambda a: f"+853{a}"),
    st.builds(lambda a, b: f"(853) {a}-{b}", digits(4), digits(4)),
    st.integers(9, 20).flatmap(digits),  # account and card numbers
    _random_bytes.map(lambda b: _b64(b"\xff\xd8\xff\xe0" + b)),  # a JPEG, base64
    _random_bytes.map(_b64),  # any other blob
    _random_bytes.map(lambda b: repr(b"\xff\xd8\xff\xe0" + b)),  # JPEG bytes, repr'd
)

_dates = st.datetimes(min_value=datetime.datetime(2000, 1, 1),
                      max_value=datetime.datetime(2099, 12, 31))
_hex = st.binary(min_size=8, max_size=32).map(bytes.hex).filter(
    lambda h: any(c in "abcdef" for c in h))  # a hash always has a letter in practice
HARMLESS = st.one_of(
    _dates.map(lambda d: f"at {d.isoformat()}"),
    _dates.map(lambda d: f"at {d:%Y-%m-%d %H:%M:%S},{d.microsecond // 1000:03d}"),
    _dates.map(lambda d: f"wrote kiosk-diagnostics-t1-{d:%Y%m%dT%H%M%SZ}.tar.gz"),
    st.floats(0, 1e8, allow_nan=False).map(lambda x: f"took {x:.3f}s"),
    st.integers(0, 10**12).map(lambda n: f"waited {n} ms"),
    st.integers(0, 10**12).map(lambda n: f"size {n} bytes"),
    st.integers(1, 65535).map(lambda p: f"listening on 127.0.0.1:{p}"),
    st.integers(1, 65535).map(lambda p: f"port {p}"),
    st.tuples(*[st.integers(0, 999)] * 3).map(lambda v: "version {}.{}.{}".format(*v)),
    st.integers(0, 9_999_999).map(lambda n: f"seq {n}"),
    st.integers(100, 599).map(lambda c: f"HTTP {c}"),
    _hex.map(lambda h: f"head {h}"),
    st.uuids().map(lambda u: f"key {u}"),
    st.floats(1e9, 2e9).map(lambda t: f"retry_at {t:.3f}"),
    st.text(string.ascii_letters + "紙張不足讀卡", min_size=1, max_size=12).map(
        lambda w: f"word {w}"),
    st.sampled_from(["ssm.voucher-print", "paper_out", "card_reader", "printer offline",
                     '{"id": 17, "state": "dead", "attempts": 3}', "0x7f3a2b1c4d50",
                     "/opt/kiosk/venv/lib/python3.11/site-packages/PySide6/QtWidgets/x.py",
                     "/usr/lib/python3/dist-packages/Kiosk/WindowManager/Screens/Attract"]),
)
SEPARATORS = st.sampled_from([" ", ", ", ": ", "; ", " = ", "\n", "\t", " (", ") ", " [",
                              "] ", " '", "' ", ' "', '" ', "，", "：", "電話", " | "])


@st.composite
def lines(draw: st.DrawFn, parts: st.SearchStrategy[str]) -> str:
    chunks = draw(st.lists(parts, min_size=1, max_size=8))
    out = draw(SEPARATORS).lstrip()
    for chunk in chunks:
        out += chunk + draw(SEPARATORS)
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(lines(HARMLESS), PERSONAL, SEPARATORS), min_size=1, max_size=4),
       lines(HARMLESS))
def test_no_personal_looking_token_survives(pieces: list[tuple[str, str, str]],
                                            tail: str) -> None:
    text = "".join(f"{before}{token}{after}" for before, token, after in pieces) + tail
    out = redact(text)
    # The harmless text is kept as it is, so what it holds by chance ("00000000"
    # in "100000000.000s") may be in the output; nothing more may.
    harmless = [p for before, _, after in pieces for p in (before, after)] + [tail]
    for _, token, _ in pieces:
        only_digits = "".join(c for c in token if c.isdigit())
        core = [token] + ([only_digits[-8:]] if len(only_digits) >= 8 else [])
        for shown in core:
            assert out.count(shown) <= sum(p.count(shown) for p in harmless), (token, out)
    assert "[redacted:" in out
    assert redact(out) == out  # masking again changes nothing


@settings(max_examples=400, deadline=None)
@given(lines(HARMLESS))
def test_harmless_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redaction_examples() -> None:
    assert redact(f"citizen {CITIZEN_ID} card C0000001 phone {PHONE} mail a.b@example.mo"
                  ) == ("citizen [redacted:id] card [redacted:card] phone [redacted:phone] "
                        "mail [redacted:email]")
    assert redact("電話66123401 身份證5215299(8)") == "電話[redacted:number] 身份證[redacted:id]"
    photo = _b64(b"\xff\xd8\xff\xe0" + os.urandom(64))
    assert redact(f"photo={photo}") == "photo=[redacted:blob]"
    # A traceback keeps its paths, line numbers and addresses.
    frame = ('  File "/opt/kiosk/venv/lib/python3.11/site-packages/kiosk/journey/machine.py",'
             ' line 1234, in step\n    <object at 0x7f3a2b1c4d50>')
    assert redact(frame) == frame


# --- the handlers --------------------------------------------------------------------------


@pytest.fixture
def clean_root() -> Iterator[logging.Logger]:
    """The root logger as it was, after the test's handlers are gone."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    hooks = sys.excepthook, threading.excepthook
    yield root
    sys.excepthook, threading.excepthook = hooks
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def files_config(fmt: str, **more: object) -> Config:
    return Config(logging=LoggingConfig(target="files", format=fmt, **more))  # type: ignore[arg-type]


def test_json_lines_carry_the_fields_and_no_personal_data(tmp_path: Path,
                                                          clean_root: logging.Logger) -> None:
    handlers = setup_logging(files_config("json"), tmp_path)
    log = logging.getLogger("kiosk.test.json")
    log.info("card %s read for %s", "C0000002", CITIZEN_ID)
    try:
        raise ValueError(f"no record for {PHONE}")
    except ValueError:
        log.exception("lookup failed after %.2fs", 1.25)
    for h in handlers:
        h.flush()
    text = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["msg"] for r in rows[-2:]] == ["card [redacted:card] read for [redacted:id]",
                                             "lookup failed after 1.25s"]
    last = rows[-1]
    assert set(last) == {"ts", "level", "logger", "thread", "msg", "exc"}
    assert (last["level"], last["logger"], last["thread"]) == ("ERROR", "kiosk.test.json",
                                                              "MainThread")
    assert last["ts"].endswith("+00:00") and "T" in last["ts"]
    assert "ValueError: no record for [redacted:phone]" in last["exc"]
    assert rows[-2]["exc"] is None
    for secret in ("C0000002", CITIZEN_ID, "5215299", "6612 3401"):
        assert secret not in text


UNCAUGHT = f"""
import logging, sys, threading
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from kiosk.config import Config
from kiosk.config.schema import LoggingConfig
from kiosk.logs import setup_logging

setup_logging(Config(logging=LoggingConfig(target="files", format="text")), Path(sys.argv[1]))
worker = threading.Thread(target=lambda: {{}}["{CITIZEN_ID}"], name="card-reader")
worker.start()
worker.join()
app = QCoreApplication([])

def slot():
    app.quit()
    raise LookupError("no profile for {PHONE}")

QTimer.singleShot(0, slot)
app.exec()
raise ValueError("no record for {CITIZEN_ID}")
"""


def test_uncaught_exceptions_are_logged_redacted_not_printed(tmp_path: Path) -> None:
    """In the main thread, in another thread, in a Qt slot: each is a CRITICAL
    record with its traceback, masked; nothing of it on stderr (the journal
    would keep stderr as it is)."""
    done = subprocess.run([sys.executable, "-c", UNCAUGHT, str(tmp_path)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 1  # the uncaught exception still ends the process
    log = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "CRITICAL kiosk.uncaught card-reader: uncaught KeyError in thread card-reader" in log
    assert "CRITICAL kiosk.uncaught MainThread: uncaught LookupError" in log
    assert "CRITICAL kiosk.uncaught MainThread: uncaught ValueError" in log
    assert "LookupError: no profile for [redacted:phone]" in log
    assert "ValueError: no record for [redacted:id]" in log
    for secret in (CITIZEN_ID, "5215299", "6612 3401"):
        assert secret not in log and secret not in done.stderr, secret
    assert "Traceback" not in done.stderr


def test_text_lines_rotate_as_configured(tmp_path: Path, clean_root: logging.Logger) -> None:
    setup_logging(files_config("text", max_bytes=64 * 1024, files_kept=2), tmp_path)
    log = logging.getLogger("kiosk.test.text")
    for n in range(2000):
        log.info("line %04d of a kiosk that runs for months, phone 66123401", n)
    names = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert names == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    text = (tmp_path / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert " INFO kiosk.test.text MainThread: line 1999 of a kiosk" in text
    assert "66123401" not in text and "[redacted:number]" in text


def test_setting_up_again_replaces_the_handler(tmp_path: Path,
                                               clean_root: logging.Logger) -> None:
    first = setup_logging(files_config("text"), tmp_path)
    second = setup_logging(files_config("json"), tmp_path)
    assert first[0] not in clean_root.handlers and second[0] in clean_root.handlers


def test_auto_is_the_journal_only_under_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert resolve_target("auto") == "files"
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    assert resolve_target("auto") == "journal"
    assert resolve_target("files") == "files"


# --- the journal's native protocol, on the test's own socket -------------------------------


def parse_native(data: bytes) -> dict[str, str]:
    """systemd's native journal protocol, read as journald reads it."""
    fields: dict[str, str] = {}
    at = 0
    while at < len(data):
        end = data.index(b"\n", at)
        line = data[at:end]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            fields[name.decode()] = value.decode()
            at = end + 1
        else:
            (size,) = struct.unpack("<Q", data[end + 1:end + 9])
            value = data[end + 9:end + 9 + size]
            assert data[end + 9 + size:end + 10 + size] == b"\n"
            fields[line.decode()] = value.decode()
            at = end + 10 + size
    return fields


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "journal.socket"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(5)
        monkeypatch.setenv("KIOSK_JOURNAL_SOCKET", str(path))
        monkeypatch.setenv("JOURNAL_STREAM", "8:1")
        yield sock


def test_entries_carry_fields_priority_and_multiline_values(
        journal: socket.socket, tmp_path: Path, clean_root: logging.Logger) -> None:
    [handler] = setup_logging(Config(), tmp_path)  # target "auto", under "systemd"
    assert isinstance(handler, JournalHandler)
    parse_native(journal.recv(1 << 20))  # "logging to the journal"
    log = logging.getLogger("kiosk.test.native")
    log.warning("paper low on %s", "printer")
    entry = parse_native(journal.recv(1 << 20))
    assert entry["MESSAGE"] == "paper low on printer"
    assert (entry["PRIORITY"], entry["SYSLOG_IDENTIFIER"], entry["LOGGER"]) == (
        "4", "kiosk", "kiosk.test.native")
    assert entry["CODE_FILE"] == __file__ and entry["CODE_FUNC"] == (
        "test_entries_carry_fields_priority_and_multiline_values")
    assert int(entry["CODE_LINE"]) > 0 and entry["THREAD_NAME"] == "MainThread"
    try:
        raise RuntimeError(f"card C0000003\nof {CITIZEN_ID}")
    except RuntimeError:
        log.exception("read failed")
    entry = parse_native(journal.recv(1 << 20))
    assert entry["PRIORITY"] == "3"
    assert entry["MESSAGE"].startswith("read failed\nTraceback (most recent call last):")
    assert entry["EXCEPTION_TEXT"].endswith(
        "RuntimeError: card [redacted:card]\nof [redacted:id]")
    assert "C0000003" not in entry["MESSAGE"] and "5215299" not in entry["MESSAGE"]


def test_a_message_too_large_is_cut_and_says_so(journal: socket.socket,
                                                 clean_root: logging.Logger) -> None:
    handler = install(journal_handler())
    big = "é" * 400_000  # 800 kB: beyond any datagram the socket takes
    logging.getLogger("kiosk.test.big").error("dump %s", big)
    entry = parse_native(journal.recv(1 << 20))
    assert isinstance(handler, JournalHandler)
    assert entry["MESSAGE"].startswith("dump éééé")
    assert entry["MESSAGE"].endswith(f"… [truncated: {len(('dump ' + big).encode())} bytes "
                                     "in all]")
    assert len(entry["MESSAGE"].encode()) < TRUNCATED_FIELD_BYTES + 100
    assert int(entry["KIOSK_TRUNCATED"]) > len(("dump " + big).encode())  # all its fields


def test_without_a_journal_the_log_goes_to_stderr(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str],
                                                  clean_root: logging.Logger) -> None:
    monkeypatch.setenv("KIOSK_JOURNAL_SOCKET", str(tmp_path / "none"))
    monkeypatch.setenv("JOURNAL_STREAM", "8:1")
    [handler] = setup_logging(Config(), tmp_path)
    assert not isinstance(handler, JournalHandler)
    logging.getLogger("kiosk.test.fallback").error("printer %s gone, ID %s", "p1", CITIZEN_ID)
    err = capfd.readouterr().err
    # "<3>": journald reads a service's stderr with this prefix as the priority.
    assert "<3>" in err and "ERROR kiosk.test.fallback MainThread: printer p1 gone, ID " \
        "[redacted:id]" in err
    assert f"no journal socket at {tmp_path / 'none'}" in err


def test_a_journal_that_went_away_sends_records_to_stderr(
        journal: socket.socket, capfd: pytest.CaptureFixture[str],
        clean_root: logging.Logger) -> None:
    install(journal_handler())
    journal.close()  # journald stopped: nobody at the socket's address
    Path(os.environ["KIOSK_JOURNAL_SOCKET"]).unlink()
    logging.getLogger("kiosk.test.gone").warning("still logged, card C0000004")
    err = capfd.readouterr().err
    assert "WARNING kiosk.test.gone MainThread: still logged, card [redacted:card]" in err


# --- a real journald -----------------------------------------------------------------------


def _journald() -> str:
    for path in ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"):
        if os.access(path, os.X_OK):
            return path
    pytest.fail("systemd-journald missing (Debian package systemd)")


# Runs as the process of a private mount namespace: /run (and the persistent
# journal directory) are its own tmpfs, so the journald it starts touches
# nothing of the machine's. argv: the scripts to run, in order, once journald
# says READY=1; then the journal is synced and printed as JSON lines.
_NAMESPACE = r"""
import os, socket, subprocess, sys
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
if os.path.isdir("/var/log/journal"):
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/var/log/journal"], check=True)
os.makedirs("/run/systemd/journal")
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind("/run/test-notify")
notify.settimeout(20)
journald = subprocess.Popen([JOURNALD], env={"NOTIFY_SOCKET": "/run/test-notify"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while b"READY=1" not in notify.recv(4096):
        pass
    for script in sys.argv[1:]:
        subprocess.run([sys.executable, script], check=True, stdout=sys.stderr)
        subprocess.run(["journalctl", "--sync"], check=True)
    out = subprocess.run(["journalctl", "--all", "-o", "json", "SYSLOG_IDENTIFIER=kiosk"],
                         capture_output=True, check=True).stdout
    sys.stdout.buffer.write(out)
finally:
    journald.terminate()
    journald.wait()
"""


def run_with_journald(tmp_path: Path, *scripts: str) -> list[dict[str, object]]:
    """Each of ``scripts`` (Python source) run in turn beside a real journald;
    returns the journal's kiosk entries as journalctl's JSON gives them."""
    assert shutil.which("unshare"), "unshare missing (Debian package util-linux)"
    runner = tmp_path / "namespace.py"
    runner.write_text(_NAMESPACE.replace("JOURNALD", repr(_journald())))
    paths = []
    for n, source in enumerate(scripts):
        path = tmp_path / f"step{n}.py"
        path.write_text(source)
        paths.append(str(path))
    # Not root: a user namespace of its own maps the test's user to root in it.
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "-r", "--mount"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([*unshare, sys.executable, str(runner), *paths], env=env,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return [json.loads(line) for line in result.stdout.splitlines()]


KIOSK_LOGS = f"""
import logging, os
from pathlib import Path
from kiosk.config import Config
from kiosk.logs import setup_logging
os.environ["JOURNAL_STREAM"] = "8:1"  # as systemd sets it: "auto" picks the journal
os.environ.pop("KIOSK_JOURNAL_SOCKET", None)  # journald's own socket, {JOURNAL_SOCKET}
setup_logging(Config(), Path({{home!r}}))
log = logging.getLogger("kiosk.test.journald")
log.warning("paper low\\nsecond line, citizen {CITIZEN_ID}")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("sum failed for phone {PHONE}")
log.info("big %s", "x" * 400_000)
"""


def test_a_real_journald_stores_the_entries(tmp_path: Path) -> None:
    entries = run_with_journald(tmp_path, KIOSK_LOGS.format(home=str(tmp_path / "home")))
    by_message = {str(e["MESSAGE"]).split("\n")[0]: e for e in entries}
    low = by_message["paper low"]
    assert low["MESSAGE"] == "paper low\nsecond line, citizen [redacted:id]"
    assert (low["PRIORITY"], low["LOGGER"], low["THREAD_NAME"]) == (
        "4", "kiosk.test.journald", "MainThread")
    assert low["CODE_FUNC"] == "<module>" and low["_TRANSPORT"] == "journal"
    failed = by_message["sum failed for phone [redacted:phone]"]
    assert failed["PRIORITY"] == "3"
    assert str(failed["EXCEPTION_TEXT"]).endswith("ZeroDivisionError: division by zero")
    big = next(e for e in entries if str(e["MESSAGE"]).startswith("big xxx"))
    assert str(big["MESSAGE"]).endswith("bytes in all]")
    assert int(str(big["KIOSK_TRUNCATED"])) > 400_000
    assert not any(CITIZEN_ID in json.dumps(e) or "6612" in json.dumps(e) for e in entries)

