"""The sandbox gateway as its own process, for benchmarks that must not share
the measured process's GIL with it (as a real gateway would not); and the
benchmark of the kiosk's gateway client against the same calls made with plain
requests, to that process.

    .venv/bin/python benchmarks/sandbox_gateway.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from bench_result import Figure, Measured

from kiosk.api.client import GatewayClient
from kiosk.cli_soak import start_sandbox
from kiosk.sandbox.server import DEFAULT_TERMINALS


def sandbox_process(home: Path) -> tuple[subprocess.Popen[str], str]:
    """``kiosk sandbox serve`` on a free loopback port with its state under
    ``home``, as the soak starts it; the process and its URL once it listens."""
    return start_sandbox(home)


# --- the benchmark: the kiosk's gateway client against raw requests ---------------------

TERMINAL, TOKEN = next(iter(DEFAULT_TERMINALS.items()))  # the sandbox's demo terminal
CARD, ID_NUMBER = "C0000001", "5215299(8)"
LOOKUP = "dsat.traffic-fines"
FEEDBACK = {"category": "suggestion", "department": "ssm",
            "text": "Mais bancos na sala de espera, por favor"}


def _raw_calls(session: requests.Session, url: str) -> dict[str, Callable[[], Any]]:
    """The same two calls by hand: the same headers and bodies, the reply decoded
    and its status checked, nothing more (no retries, no typed parsing)."""
    headers = {"X-Terminal-Id": TERMINAL, "Authorization": f"Bearer {TOKEN}",
               "Accept": "application/json"}
    citizen = {"card_number": CARD, "id_number": ID_NUMBER}

    def post(path: str, body: dict[str, Any], key: str | None = None) -> Any:
        extra = {"Idempotency-Key": key} if key else {}
        reply = session.post(url + path, json=body, headers={**headers, **extra}, timeout=10)
        reply.raise_for_status()
        return reply.json()

    return {
        "lookup": lambda: post("/v1/services/lookup",
                               {"service_id": LOOKUP, "citizen": citizen}),
        "submit": lambda: post("/v1/services/submit",
                               {"service_id": "safp.feedback", "citizen": citizen,
                                "form": FEEDBACK}, str(uuid.uuid4())),
    }


def _client_calls(client: GatewayClient) -> dict[str, Callable[[], Any]]:
    return {
        "lookup": lambda: client.lookup(LOOKUP, CARD, ID_NUMBER),
        "submit": lambda: client.submit("safp.feedback", CARD, ID_NUMBER, FEEDBACK,
                                        idempotency_key=str(uuid.uuid4())),
    }


def measure(url: str, calls: int) -> dict[str, dict[str, float]]:
    """Median milliseconds of each call, the client's and the raw one taking
    turns so machine noise falls on both alike."""
    times: dict[str, dict[str, list[float]]] = {"client": {}, "raw": {}}
    with GatewayClient(url, TERMINAL, TOKEN, retries=0) as client, requests.Session() as raw:
        ways = {"client": _client_calls(client), "raw": _raw_calls(raw, url)}
        for way in ways.values():  # warm the connections and the sandbox
            for call in way.values():
                call()
        for _ in range(calls):
            for name, way in ways.items():
                for op, call in way.items():
                    start = time.perf_counter()
                    call()
                    times[name].setdefault(op, []).append((time.perf_counter() - start) * 1000)
    return {name: {op: round(statistics.median(ms), 3) for op, ms in ops.items()}
            for name, ops in times.items()}


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``): GatewayClient's lookup and submit
    against the same HTTP calls made with plain requests, to a sandbox process."""
    calls = 10 if quick else 300
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        proc, url = sandbox_process(Path(tmp))
        try:
            result = measure(url, calls)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    client, raw = result["client"], result["raw"]
    return Measured([
        Figure(f"GatewayClient.lookup ({LOOKUP}), typed reply (median)", client["lookup"],
               "ms", raw["lookup"], "the same POST with requests, reply decoded"),
        Figure("GatewayClient.submit (safp.feedback), idempotency key (median)",
               client["submit"], "ms", raw["submit"], "the same POST with requests, reply decoded"),
    ], {"calls": calls, "sandbox": "process"})


def main() -> None:
    parser = argparse.ArgumentParser(description="The gateway client against raw requests, "
                                                 "to a sandbox gateway process")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        proc, url = sandbox_process(Path(tmp))
        try:
            result = measure(url, args.calls)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    for op in ("lookup", "submit"):
        c, r = result["client"][op], result["raw"][op]
        print(f"{op:<8} client {c:8.3f} ms   raw requests {r:8.3f} ms   ratio {c / r:5.2f}")
    print(json.dumps({"calls": args.calls, **result}))


if __name__ == "__main__":
    main()
