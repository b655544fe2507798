"""`kiosk queue status|list|flush|retry ID|drop ID [--json]`: the outbox, for technicians.

Works on the terminal state under KIOSK_HOME (or the config's data directory).
Nothing personal is shown: items are listed by id, service, department, state,
attempts and error; their sealed payloads stay sealed (``flush`` opens them
only to send them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

STATES = ("pending", "delivering", "delivered", "dead", "dropped")


def add_queue_commands(sub: Any) -> None:
    queue = sub.add_parser("queue", help="transactions waiting for the gateway (the outbox)")
    queue_sub = queue.add_subparsers(metavar="ACTION")

    status = queue_sub.add_parser("status", help="counts by state and department")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)

    listing = queue_sub.add_parser("list", help="the items, without personal data")
    listing.add_argument("--state", choices=STATES, help="only items in this state")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    flush = queue_sub.add_parser("flush", help="deliver what is waiting, now")
    flush.add_argument("--backend", metavar="URL",
                       help="deliver to this gateway instead of the configured one")
    flush.add_argument("--json", action="store_true")
    flush.set_defaults(func=_flush)

    for name, doc in (("retry", "put a dead item back in line"),
                      ("drop", "give up on a pending or dead item (its data is erased)")):
        action = queue_sub.add_parser(name, help=doc)
        action.add_argument("id", type=int)
        action.add_argument("--json", action="store_true")
        action.set_defaults(func=_change, action=name)


def _open(args: argparse.Namespace, *, resume: bool = False) -> tuple[Any, Any]:
    """The config and the outbox; ``resume`` (flush only) takes back items a
    stopped kiosk left in delivery (if the kiosk is in fact delivering one, the
    item's idempotency key still has the gateway apply it once)."""
    from kiosk.app import outbox
    from kiosk.config import data_dir, load

    config = load(args.config)
    return config, outbox(config, data_dir(config.terminal.data_dir or None), resume=resume)


def _status(args: argparse.Namespace) -> int:
    _, box = _open(args)
    status = box.status()
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
        return 0
    counts = status.counts
    print("  ".join(f"{state} {counts[state]}" for state in STATES))
    if status.oldest_pending_age_s is not None:
        print(f"oldest waiting: {_age(status.oldest_pending_age_s)}")
    for department, by_state in status.by_department.items():
        print(f"  {department:6} " + "  ".join(f"{s} {n}" for s, n in by_state.items()))
    return 0


def _list(args: argparse.Namespace) -> int:
    _, box = _open(args)
    items = box.list(args.state)
    if args.json:
        print(json.dumps([i.to_json() for i in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("the outbox is empty" if args.state is None else f"no {args.state} items")
    for i in items:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(i.created_at))
        line = (f"{i.id:>6}  {i.state.value:10}  {i.service_id:24}  queued {when}  "
                f"{i.attempts} attempt(s)")
        if i.reference:
            line += f"  ref {i.reference}"
        if i.last_error:
            line += f"  last: {i.last_error}"
        print(line)
    return 0


def _flush(args: argparse.Namespace) -> int:
    from kiosk.api.client import GatewayClient
    from kiosk.app import outbox_delivery
    from kiosk.offline.sync import SyncWorker

    config, box = _open(args, resume=True)
    url = args.backend or config.backend.url
    if args.backend is None and config.uses_embedded_sandbox:
        print("kiosk: this terminal's gateway is the embedded sandbox, which holds nothing "
              "between runs; give --backend URL", file=sys.stderr)
        return 2
    with GatewayClient.for_terminal(config, url) as gateway:
        report = SyncWorker(box, outbox_delivery(gateway)).flush(force=True)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for o in report.outcomes:
            detail = f"ref {o.reference}" if o.result == "delivered" else o.error
            print(f"{o.item_id:>6}  {o.result:9}  {o.service_id:24}  {detail}")
        print(f"delivered {len(report.delivered)}, to retry {len(report.ids('retry'))}, "
              f"dead now {len(report.ids('dead'))}; still waiting {report.pending}, "
              f"dead letters {report.dead}")
    # 1: something could not be delivered now (the gateway or a department is down).
    return 1 if report.ids("retry") else 0


def _change(args: argparse.Namespace) -> int:
    from kiosk.cli_audit import record
    from kiosk.offline.outbox import OutboxStateError, UnknownItem

    config, box = _open(args)
    try:
        item = box.retry(args.id) if args.action == "retry" else box.drop(args.id)
    except UnknownItem:
        print(f"kiosk: no queued item {args.id}", file=sys.stderr)
        return 1
    except OutboxStateError as e:
        print(f"kiosk: cannot {args.action} it: {e}", file=sys.stderr)
        return 1
    record(config, f"queue.{args.action}", item=item.id, service=item.service_id,
           department=item.department, state=item.state.value)
    if args.json:
        print(json.dumps(item.to_json(), ensure_ascii=False, indent=2))
    else:
        print(f"{item.id} ({item.service_id}) is now {item.state.value}")
    return 0


def _age(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
