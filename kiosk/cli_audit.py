"""`kiosk audit show [--json] [--limit N]` and `kiosk audit verify [--json]`: the
technicians' audit log (``kiosk.offline.audit``), for inspectors.

Works on the terminal state under KIOSK_HOME (or the config's data directory),
as ``kiosk queue`` does. ``verify`` exits 0 when the chain holds and 1 naming the
first bad entry, so a script or the fleet can act on it. ``record`` is how other
commands write their acts here (actor "cli").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.offline.audit import AuditLog, Scalar


def add_audit_commands(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the tamper-evident log of technicians' acts")
    audit_sub = audit.add_subparsers(metavar="ACTION")

    show = audit_sub.add_parser("show", help="the entries, oldest first")
    show.add_argument("--limit", type=int, metavar="N", help="only the last N entries")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)

    verify = audit_sub.add_parser("verify", help="check the hash chain (exit 1 if broken)")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=_verify)


def audit_log(home: Path) -> AuditLog:
    """The audit log in the terminal's state file, keyed by its data key."""
    from kiosk.config import ConfigError
    from kiosk.offline.audit import terminal_audit_log
    from kiosk.offline.keys import KeyFileError

    try:
        return terminal_audit_log(home)
    except KeyFileError as e:
        raise ConfigError(f"the terminal's data key: {e}") from None


def record(config: Config, action: str, **details: Scalar) -> None:
    """Write a command's act to the audit log (actor "cli"). Called after the act
    succeeded; if it cannot be recorded, the command says so (the act stands)."""
    from kiosk.config import data_dir

    audit_log(data_dir(config.terminal.data_dir or None)).append("cli", action, **details)


def _open(args: argparse.Namespace) -> AuditLog:
    from kiosk.config import data_dir, load

    config = load(args.config)
    return audit_log(data_dir(config.terminal.data_dir or None))


def _show(args: argparse.Namespace) -> int:
    log = _open(args)
    since = None
    if args.limit is not None:
        since = max(0, log.head()[0] - max(0, args.limit))
    entries = log.entries(since=since, limit=args.limit)
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("the audit log is empty")
    for e in entries:
        details = " ".join(f"{k}={v}" for k, v in e.details.items())
        print(f"{e.seq:>6}  {e.at}  {e.actor:18}  {e.action:20}  {details}".rstrip())
    return 0


def _verify(args: argparse.Namespace) -> int:
    result = _open(args).verify()
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    elif result.ok:
        print(result)
    else:
        print(f"kiosk: {result}", file=sys.stderr)
    return 0 if result.ok else 1
