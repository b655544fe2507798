"""The kiosk's log: to the systemd journal or to rotated files, personal data masked.

``setup_logging`` installs one handler on the root logger as ``[logging]`` says
(docs/logs.md). ``target = "auto"`` picks the journal when systemd runs the
kiosk (it sets ``$JOURNAL_STREAM``) and files otherwise. The journal is spoken
to in its native protocol (datagrams of ``FIELD=value`` lines, written here by
hand like ``kiosk.sdnotify``), so each entry keeps its priority, logger, thread
and code location as fields ``journalctl -o verbose`` shows and filters on.

Every handler carries a ``RedactFilter``. The code never logs personal data
(tests/test_privacy_logs.py walks every service to hold that); the filter is the
second line of defence, for the mistake a test did not walk into: it masks in
the final text (message, exception, stack) what looks like an ID number, a card
number, an e-mail address, a phone number, a long digit run or a photo's bytes.

A leaf module apart from the config's type: any layer may use ``redact``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
import stat
import struct
import sys
import threading
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import Config

__all__ = ["JournalHandler", "JsonFormatter", "RedactFilter", "file_handler", "install",
           "journal_handler", "log_uncaught_exceptions", "redact", "resolve_target",
           "setup_logging"]

JOURNAL_SOCKET = "/run/systemd/journal/socket"
ENV_JOURNAL_SOCKET = "KIOSK_JOURNAL_SOCKET"  # tests point the journal handler elsewhere
IDENTIFIER = "kiosk"  # SYSLOG_IDENTIFIER: `journalctl -t kiosk`
LOG_BYTES = 10 * 1024 * 1024
LOG_FILES_KEPT = 5
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"
# A journal datagram larger than the socket's send buffer (about 208 KiB by
# default) is refused with EMSGSIZE; it is sent again with its long fields cut
# to this many bytes each, and says so.
TRUNCATED_FIELD_BYTES = 48 * 1024
# A journald that stopped reading must not freeze the thread that logs (it may
# be the UI's): after this long the record goes to stderr instead.
SEND_TIMEOUT_S = 1.0
_OURS = "_kiosk_logs"  # marks the handlers setup_logging installed, to replace them


# --- redaction ------------------------------------------------------------------------------

_NOT_ALNUM_BEFORE = r"(?<![A-Za-z0-9])"
_NOT_ALNUM_AFTER = r"(?![A-Za-z0-9])"

# Pass 1: pictures and other binary data, by their signatures or as long base64.
_BLOBS = re.compile(
    r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+"  # a data: URL
    r"|/9j/[A-Za-z0-9+/=]{8,}"  # JPEG in base64 (FF D8 FF)
    r"|iVBORw0KGgo[A-Za-z0-9+/=]*"  # PNG in base64
    r"|\\xff\\xd8\\xff[^'\"\s]*"  # JPEG bytes in a repr
    r"|(?:\\x[0-9a-fA-F]{2}[^\\'\"\s]{0,3}){8,}"  # other bytes in a repr
    r"|(?<![0-9A-Fa-f])(?i:ffd8ff)[0-9a-fA-F]{10,}"  # JPEG as hex
    r"|(?P<b64>(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/]))")
_PATH_SEGMENT = re.compile(r"[A-Za-z]*\d*")

# Pass 2: e-mail addresses (before the digits: a number may be one's local part).
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")

# Pass 3: numbers. What is kept comes first, so at any position a timestamp, a
# decimal, a hash or a size wins over the personal patterns that would eat its digits.
_NUMBERS = re.compile("|".join((
    rf"(?P<keep>{_NOT_ALNUM_BEFORE}(?:"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # uuid
    r"|(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}"  # a hash, in hex
    r"|\d{8}T\d{4,6}(?:\.\d+)?Z?"  # 20240105T123456Z
    r"|\d+(?:\.\d+)+[A-Za-z%]*"  # decimals, versions, addresses: 1704456000.25, 6.170.27
    r"|\d+ ?(?:ms|s|sec|seconds|bytes|B|KiB|MiB|GiB|kB|MB|GB|%)(?![A-Za-z])"  # measured
    rf"){_NOT_ALNUM_AFTER})",
    rf"(?P<id>{_NOT_ALNUM_BEFORE}(?:\d{{7}} ?\( ?[0-9A-Za-z] ?\)|\d/\d{{6}}/\d))",
    rf"(?P<card>{_NOT_ALNUM_BEFORE}[Cc]\d{{7}}{_NOT_ALNUM_AFTER})",
    r"(?P<phone>(?:(?:\+|00)\d{1,3}|\(\d{1,3}\))[ -]?\d(?:[ -]?\d){6,}"  # +853 6612 3401
    rf"|{_NOT_ALNUM_BEFORE}(?:6\d{{3}}|28\d{{2}})[ -]\d{{4}}{_NOT_ALNUM_AFTER})",  # 6612 3401
    rf"(?P<number>{_NOT_ALNUM_BEFORE}\d{{8,}}{_NOT_ALNUM_AFTER})",  # phones, IDs, accounts
)))


def _blob(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.group("b64") is None:
        return "[redacted:blob]"
    # Long base64-alphabet runs that are not data: paths and identifiers
    # (/usr/lib/python3/PySide6/QtWidgets), and single-case hex or words.
    core = text.rstrip("=")
    if core.islower() or core.isupper() or core.isdigit():
        return text
    if "/" in core and "+" not in core and all(_PATH_SEGMENT.fullmatch(s)
                                               for s in core.split("/")):
        return text
    return "[redacted:blob]"


def _number(match: re.Match[str]) -> str:
    kind = match.lastgroup
    return match.group(0) if kind == "keep" else f"[redacted:{kind}]"


def redact(text: str) -> str:
    """``text`` with what looks like personal data masked as ``[redacted:KIND]``
    (blob, email, id, card, phone, number). Timestamps, durations, sizes, ports,
    versions, small counts, status codes, hashes and uuids are left as they are.
    Masking twice changes nothing more."""
    if not text:
        return text
    text = _BLOBS.sub(_blob, text)
    if "@" in text:
        text = _EMAIL.sub("[redacted:email]", text)
    return _NUMBERS.sub(_number, text)


class RedactFilter(logging.Filter):
    """Masks personal-looking data in a record's final text, in place, so every
    handler after it (and the formatter) sees only the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a format string and its arguments that disagree: keep the line
            message = f"{record.msg!s} (arguments not formatted: {len(record.args or ())})"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- formats --------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log collector: ts (UTC), level, logger,
    thread, msg, exc (the traceback, or null)."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_text
        if record.exc_info and not exc:
            exc = record.exc_text = self.formatException(record.exc_info)
        if record.stack_info:
            exc = (exc + "\n" if exc else "") + self.formatStack(record.stack_info)
        return json.dumps({
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "thread": record.threadName,
            "msg": record.getMessage(), "exc": exc or None}, ensure_ascii=False)


def _priority(levelno: int) -> int:
    """The syslog priority of a Python level (journal field PRIORITY)."""
    for floor, priority in ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4),
                            (logging.INFO, 6)):
        if levelno >= floor:
            return priority
    return 7


class _StderrFormatter(logging.Formatter):
    """Text lines; under systemd with a "<N>" prefix, which journald reads from a
    service's stderr as the line's priority, so a fallback keeps the levels."""

    def __init__(self, prefixed: bool) -> None:
        super().__init__(TEXT_FORMAT)
        self.prefixed = prefixed

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"<{_priority(record.levelno)}>{text}" if self.prefixed else text


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter(bool(os.environ.get("JOURNAL_STREAM"))))
    return handler


# --- the journal ----------------------------------------------------------------------------


def _field(name: str, value: str) -> bytes:
    data = value.encode("utf-8", "replace")
    if b"\n" in data:
        # Binary-safe form for multi-line values: the name, a newline, the length
        # as 64-bit little-endian, the bytes, a newline (systemd's native protocol).
        return name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return name.encode() + b"=" + data + b"\n"


def _cut(value: str, limit: int) -> str:
    data = value.encode("utf-8", "replace")
    if len(data) <= limit:
        return value
    head = data[:limit].decode("utf-8", "ignore")
    return f"{head}… [truncated: {len(data)} bytes in all]"


class JournalHandler(logging.Handler):
    """Records as journal entries, sent to journald's socket (``path``): MESSAGE
    (with the traceback, if any), PRIORITY, SYSLOG_IDENTIFIER, CODE_FILE,
    CODE_LINE, CODE_FUNC, LOGGER, THREAD_NAME, EXCEPTION_TEXT. A record journald
    does not take goes to ``fallback`` (stderr), never nowhere."""

    def __init__(self, path: str, *, identifier: str = IDENTIFIER,
                 fallback: logging.Handler | None = None) -> None:
        super().__init__()
        self.path = path
        self.identifier = identifier
        self.fallback = fallback or _stderr_handler()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.settimeout(SEND_TIMEOUT_S)

    def fields(self, record: logging.LogRecord) -> dict[str, str]:
        message = record.getMessage()
        exc = record.exc_text
        if record.exc_info and not exc:
            exc = record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            exc = (exc + "\n" if exc else "") + record.stack_info
        fields = {"MESSAGE": message + ("\n" + exc if exc else ""),
                  "PRIORITY": str(_priority(record.levelno)),
                  "SYSLOG_IDENTIFIER": self.identifier,
                  "CODE_FILE": record.pathname, "CODE_LINE": str(record.lineno),
                  "CODE_FUNC": record.funcName or "", "LOGGER": record.name,
                  "THREAD_NAME": record.threadName or ""}
        if exc:
            fields["EXCEPTION_TEXT"] = exc
        return fields

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = self.fields(record)
            if self._send(fields):
                return
            # Too large even when cut: the long fields go again, cut short.
            total = sum(len(v.encode("utf-8", "replace")) for v in fields.values())
            for name in ("MESSAGE", "EXCEPTION_TEXT"):
                if name in fields:
                    fields[name] = _cut(fields[name], TRUNCATED_FIELD_BYTES)
            fields["KIOSK_TRUNCATED"] = str(total)
            if not self._send(fields):
                raise OSError(errno.EMSGSIZE, "too large for the journal even when cut")
        except OSError:
            # journald gone or stuck: stderr (under systemd, itself a journal stream).
            self.fallback.emit(record)
        except Exception:
            self.handleError(record)

    def _send(self, fields: dict[str, str]) -> bool:
        """True if sent; False if the datagram is too large; OSError otherwise."""
        data = b"".join(_field(k, v) for k, v in fields.items())
        try:
            # sendto, not connect: a journald that restarted has a new socket at the path.
            self._sock.sendto(data, self.path)
        except OSError as e:
            if e.errno in (errno.EMSGSIZE, errno.ENOBUFS):
                return False
            raise
        return True

    def close(self) -> None:
        self._sock.close()
        self.fallback.close()
        super().close()


def journal_socket() -> str:
    return os.environ.get(ENV_JOURNAL_SOCKET) or JOURNAL_SOCKET


def journal_handler(path: str | None = None) -> logging.Handler:
    """A ``JournalHandler`` on journald's socket, or a stderr handler if there is
    no socket there (a kiosk without journald still logs)."""
    path = path or journal_socket()
    try:
        is_socket = stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        is_socket = False
    return JournalHandler(path) if is_socket else _stderr_handler()


# --- files ----------------------------------------------------------------------------------


def file_handler(home: Path, *, max_bytes: int = LOG_BYTES, files_kept: int = LOG_FILES_KEPT,
                 format: str = "text") -> logging.Handler:
    """``home/logs/kiosk.log``, rotated by size: a kiosk runs for months, and a
    log that only grows fills the disk its state lives on. ``format``: "text"
    lines for people or "json" lines for a collector."""
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o750)
    handler = RotatingFileHandler(logs / "kiosk.log", maxBytes=max_bytes,
                                  backupCount=files_kept, encoding="utf-8")
    handler.setFormatter(JsonFormatter() if format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


# --- setting it up --------------------------------------------------------------------------


def resolve_target(target: str) -> str:
    """"journal" or "files": "auto" is the journal when systemd started the kiosk
    with its output to the journal (it then sets $JOURNAL_STREAM)."""
    if target == "auto":
        return "journal" if os.environ.get("JOURNAL_STREAM") else "files"
    return target


def install(handler: logging.Handler, level: str = "INFO") -> logging.Handler:
    """``handler`` on the root logger, with the redaction filter, at ``level``."""
    if not any(isinstance(f, RedactFilter) for f in handler.filters):
        handler.addFilter(RedactFilter())
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def log_uncaught_exceptions() -> None:
    """Uncaught exceptions, in the main thread, another thread or a Qt slot
    (PySide hands those to ``sys.excepthook``), are logged like any record:
    redacted, to the journal or the files. Python's own hooks would print the
    traceback, values and all, to stderr, which systemd stores as it is."""
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread


def _uncaught(kind: type[BaseException], error: BaseException,
              trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("kiosk.uncaught").critical("uncaught %s", kind.__name__,
                                                 exc_info=(kind, error, trace))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:  # as Python's own hook: a thread's normal end
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("kiosk.uncaught").critical(
        "uncaught %s in thread %s", args.exc_type.__name__, thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def setup_logging(config: Config, home: Path) -> list[logging.Handler]:
    """The kiosk's logging as ``config.logging`` says, replacing what an earlier
    call installed; returns the handlers installed (to remove them, in tests)."""
    settings = config.logging
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
        old.close()
    target = resolve_target(settings.target)
    if target == "journal":
        handler = journal_handler()
        where = ("the journal" if isinstance(handler, JournalHandler)
                 else f"stderr (no journal socket at {journal_socket()})")
    else:
        handler = file_handler(home, max_bytes=settings.max_bytes,
                               files_kept=settings.files_kept, format=settings.format)
        where = str(home / "logs" / "kiosk.log")
    install(handler, settings.level)
    logging.captureWarnings(True)  # a library's warnings reach the same place, redacted
    log_uncaught_exceptions()
    logging.getLogger(__name__).info("logging to %s at %s", where, settings.level.upper())
    return [handler]
