"""The outbox: durable enqueue and replay throughput, side by side in one run.

Enqueue, one durable commit per message, the same JSON payload (a feedback
submission of the demo citizen) for each contender:

- "raw sqlite3": INSERT and COMMIT, WAL with synchronous FULL: the floor, one
  fsync of the WAL per message;
- "persist-queue": ``persistqueue.SQLiteAckQueue.put`` (WAL, auto_commit; its
  payload pickled, not encrypted);
- "kiosk outbox": ``Outbox.enqueue``: the idempotency key looked up, the record
  written, the payload sealed with AES-GCM, in one IMMEDIATE transaction.

Replay: the outbox flushed to the sandbox gateway running as its own process
(``kiosk sandbox serve``), against the same submits sent straight from a
``GatewayClient`` without an outbox. The three enqueue contenders take turns
each round, so machine noise falls on all alike. Prints a table and a JSON line.

    .venv/bin/python benchmarks/outbox_bench.py [--messages N] [--rounds R] [--replay N]

Needs the ``bench`` extra (``pip install -e '.[bench]'``) for persist-queue.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from persistqueue import SQLiteAckQueue
from sandbox_gateway import sandbox_process as sandbox

from kiosk.api.client import GatewayClient
from kiosk.app import outbox_delivery
from kiosk.offline.outbox import Outbox
from kiosk.offline.sealed import Sealer
from kiosk.offline.store import open_state
from kiosk.offline.sync import SyncWorker

TERMINAL, TOKEN = "demo-terminal-01", "sandbox-demo-token"
CARD, ID_NUMBER = "C0000001", "5215299(8)"
LIFE = {"face_verified": True, "liveness": True}
FORMS: dict[str, dict[str, Any]] = {
    "fss.proof-of-life": LIFE, "ias.proof-of-life": LIFE, "fp.proof-of-life": LIFE,
    "safp.feedback": {"category": "suggestion", "department": "ssm",
                      "text": "Mais bancos na sala de espera, por favor"},
    "ic.library-card": {"email": "chan.taiman@example.mo"},
}
SERVICES = tuple(FORMS)


def payload(n: int) -> dict[str, Any]:
    service = SERVICES[n % len(SERVICES)]
    return {"service_id": service, "card_number": CARD, "id_number": ID_NUMBER,
            "form": FORMS[service]}


# --- enqueue --------------------------------------------------------------------------


def raw_sqlite(folder: Path, count: int) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE queue (id INTEGER PRIMARY KEY, key TEXT UNIQUE, body BLOB)")
    start = time.perf_counter()
    for n in range(count):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO queue (key, body) VALUES (?, ?)",
                     [str(uuid.uuid4()), json.dumps(payload(n)).encode()])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def persist_queue(folder: Path, count: int) -> float:
    queue = SQLiteAckQueue(str(folder / "persist-queue"), auto_commit=True)
    start = time.perf_counter()
    for n in range(count):
        queue.put({"key": str(uuid.uuid4()), **payload(n)})
    elapsed = time.perf_counter() - start
    queue.close()
    return elapsed


def kiosk_outbox(folder: Path, count: int) -> float:
    box = Outbox(open_state(folder / "terminal.db"), Sealer(os.urandom(32)))
    start = time.perf_counter()
    for n in range(count):
        body = payload(n)
        box.enqueue(service_id=body["service_id"], department=body["service_id"].split(".")[0],
                    idempotency_key=str(uuid.uuid4()), payload=body,
                    summary={"service_id": body["service_id"]})
    return time.perf_counter() - start


CONTENDERS: dict[str, Callable[[Path, int], float]] = {
    "raw sqlite3": raw_sqlite, "persist-queue": persist_queue, "kiosk outbox": kiosk_outbox}


# --- replay ---------------------------------------------------------------------------


def replay(folder: Path, url: str, count: int) -> dict[str, float]:
    box = Outbox(open_state(folder / "replay.db"), Sealer(os.urandom(32)))
    for n in range(count):
        body = payload(n)
        box.enqueue(service_id=body["service_id"], department=body["service_id"].split(".")[0],
                    idempotency_key=str(uuid.uuid4()), payload=body, summary={})
    with GatewayClient(url, TERMINAL, TOKEN, retries=0) as client:
        for n in range(20):  # warm the connection and the sandbox
            client.submit(**_submit_args(n))
        start = time.perf_counter()
        for n in range(count):
            client.submit(**_submit_args(n))
        direct = time.perf_counter() - start
        start = time.perf_counter()
        report = SyncWorker(box, outbox_delivery(client)).flush()
        outbox = time.perf_counter() - start
    if len(report.delivered) != count:
        raise SystemExit(f"replay delivered {len(report.delivered)} of {count}")
    return {"direct_per_s": count / direct, "outbox_per_s": count / outbox}


def _submit_args(n: int) -> dict[str, Any]:
    body = payload(n)
    return {"service_id": body["service_id"], "card_number": CARD, "id_number": ID_NUMBER,
            "form": body["form"], "idempotency_key": str(uuid.uuid4())}


# --- the run --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replay", type=int, default=500, help="items to replay")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the databases go (default: a temporary folder); "
                             "put it on the disk the kiosk's state is on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="outbox-bench-") as tmp:
        root = Path(tmp)
        rates: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        for r in range(args.rounds):
            for name, run in CONTENDERS.items():
                folder = root / f"{name.replace(' ', '-')}-{r}"
                folder.mkdir()
                rates[name].append(args.messages / run(folder, args.messages))
        proc, url = sandbox(root / "sandbox-home")
        try:
            replayed = replay(root, url, args.replay)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    kiosk = medians["kiosk outbox"]
    print(f"durable enqueue, one commit per message ({args.messages} messages x "
          f"{args.rounds} rounds, median):")
    for name, rate in medians.items():
        print(f"  {name:14} {rate:8.0f} messages/s   kiosk outbox / this: {kiosk / rate:5.2f}")
    print(f"replay to the sandbox gateway ({args.replay} submits):")
    print(f"  direct submits {replayed['direct_per_s']:8.0f} /s")
    print(f"  outbox flush   {replayed['outbox_per_s']:8.0f} /s   outbox / direct: "
          f"{replayed['outbox_per_s'] / replayed['direct_per_s']:5.2f}")
    print(json.dumps({
        "messages": args.messages, "rounds": args.rounds,
        "enqueue_per_s": {k: round(v) for k, v in medians.items()},
        "kiosk_vs_raw": round(kiosk / medians["raw sqlite3"], 3),
        "kiosk_vs_persist_queue": round(kiosk / medians["persist-queue"], 3),
        "replay_items": args.replay,
        "replay_direct_per_s": round(replayed["direct_per_s"]),
        "replay_outbox_per_s": round(replayed["outbox_per_s"]),
        "replay_outbox_vs_direct": round(replayed["outbox_per_s"]
                                         / replayed["direct_per_s"], 3),
    }))


if __name__ == "__main__":
    main()
