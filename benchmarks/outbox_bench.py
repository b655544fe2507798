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

Needs the ``bench`` extra (``pip install -e '.[bench]'``) for persist-queue;
without it, ``kiosk bench`` runs the other contenders and says it is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
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

from bench_result import Figure, Measured
from sandbox_gateway import TERMINAL, TOKEN
from sandbox_gateway import sandbox_process as sandbox

from kiosk.api.client import GatewayClient
from kiosk.app import outbox_delivery
from kiosk.offline.outbox import Outbox
from kiosk.offline.sealed import Sealer
from kiosk.offline.store import open_state
from kiosk.offline.sync import SyncWorker

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
    from persistqueue import SQLiteAckQueue  # the bench extra: kiosk bench runs without it

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


def has_persist_queue() -> bool:
    return importlib.util.find_spec("persistqueue") is not None


def measure(messages: int, rounds: int, replay_items: int, where: Path | None,
            contenders: dict[str, Callable[[Path, int], float]]) -> dict[str, Any]:
    """Median enqueue rates (messages/s) of each contender over the rounds, and
    the replay's rates (items/s), direct and through the outbox."""
    with tempfile.TemporaryDirectory(dir=where, prefix="outbox-bench-") as tmp:
        root = Path(tmp)
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        for r in range(rounds):
            for name, run in contenders.items():
                folder = root / f"{name.replace(' ', '-')}-{r}"
                folder.mkdir()
                rates[name].append(messages / run(folder, messages))
        proc, url = sandbox(root / "sandbox-home")
        try:
            replayed = replay(root, url, replay_items)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"enqueue_per_s": {name: statistics.median(r) for name, r in rates.items()},
            **replayed}


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``). Rates become costs (ms per
    message), so that, as for every figure of the report, lower is better."""
    messages, rounds, items = (50, 1, 20) if quick else (2000, 3, 500)
    contenders = dict(CONTENDERS)
    missing = ("" if has_persist_queue()
               else "persist-queue not installed (pip install -e '.[bench]')")
    if missing:
        del contenders["persist-queue"]
    result = measure(messages, rounds, items, None, contenders)
    rates = result["enqueue_per_s"]
    ms = lambda per_s: round(1000 / per_s, 4)  # noqa: E731
    enqueue = "durable enqueue: sealed, idempotency key looked up, one commit (median)"
    figures = [Figure(enqueue, ms(rates["kiosk outbox"]), "ms/message", ms(rates["raw sqlite3"]),
                      "raw sqlite3 INSERT + COMMIT, WAL, synchronous FULL", missing)]
    if "persist-queue" in rates:
        figures.append(Figure(enqueue, ms(rates["kiosk outbox"]), "ms/message",
                              ms(rates["persist-queue"]), "persist-queue SQLiteAckQueue.put"))
    figures.append(Figure("replay: the outbox flushed to the sandbox gateway (a process)",
                          ms(result["outbox_per_s"]), "ms/item", ms(result["direct_per_s"]),
                          "the same submits sent straight from a GatewayClient"))
    return Measured(figures, {"messages": messages, "rounds": rounds, "replay_items": items,
                              "persist_queue": not missing})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="per contender and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replay", type=int, default=500, help="items to replay")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the databases go (default: a temporary folder); "
                             "put it on the disk the kiosk's state is on")
    args = parser.parse_args()
    if not has_persist_queue():
        raise SystemExit("outbox_bench: needs persist-queue: pip install -e '.[bench]'")
    result = measure(args.messages, args.rounds, args.replay, args.dir, CONTENDERS)
    medians, replayed = result["enqueue_per_s"], result
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
