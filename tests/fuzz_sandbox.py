"""Fuzz targets for the sandbox gateway's side: requests as its router sees
them, and raw HTTP as its handler reads it off the socket.

Seeds are the requests the real client sent for every service
(tests/fuzz_gateway.py records them); edits reach the JSON bodies, the
headers and the request line. The sandbox stands in for the gateway in every
demo and test, so a request must never make it fail (500) or hang.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from functools import cache
from typing import Any

from kiosk.sandbox.core import Context, Request
from kiosk.sandbox.handler import Handler
from kiosk.sandbox.routes import ROUTES, dispatch
from kiosk.sandbox.server import SandboxServer
from tests.fuzz_gateway import TERMINAL, TOKEN, exchanges, sandbox_context
from tests.fuzz_targets import Source, Target, chance, json_bytes, mutate_bytes, mutate_json

# Bodies nested deep enough to pass json.loads yet strain what walks them after.
DEEP = (b"[" * 900 + b"]" * 900, b'{"a":' * 400 + b"1" + b"}" * 400)
HEADER_VALUES = ("", " ", "-1", "0", "1e3", "0x10", "99999999999", "１２", "\x00", "Bearer",
                 "Bearer " + TOKEN + " ", "bearer " + TOKEN, "chunked", "a" * 300)
HEADERS = ("x-terminal-id", "authorization", "idempotency-key", "content-type",
           "content-length", "transfer-encoding")


@cache
def context() -> Context:
    return sandbox_context("dispatch")


def gen_request(src: Source) -> tuple[str, str, dict[str, str], bytes]:
    seed = src.choice(exchanges())
    headers = {k.lower(): v for k, v in seed.headers.items()}
    method, path = seed.method, seed.path
    if chance(src, 10):
        method = src.choice(("GET", "POST", "DELETE", "PUT", "HEAD", "PATCH", "get"))
    if chance(src, 10):
        path = src.choice((*ROUTES, path + "/", path.upper(), "/v1/terminals/%2F/heartbeat",
                           "/v1/terminals/" + src.text(5) + "/heartbeat", "/" + src.text(8)))
    for _ in range(src.integer(0, 2)):
        name = src.choice(HEADERS)
        if chance(src, 30):
            headers.pop(name, None)
        else:
            headers[name] = src.choice(HEADER_VALUES) if chance(src, 70) else src.text(10)
    if chance(src, 5):
        body = src.choice(DEEP)
    elif seed.body and chance(src, 90):
        value = json.loads(seed.body)
        body = json_bytes(src, mutate_json(src, value, [*value, "citizen", "service_id",
                                                        "form", "params", "amount", "items"]))
    else:
        body = mutate_bytes(src, seed.body) if chance(src, 50) else src.binary(20)
    return method, path, headers, body


def check_dispatch(value: tuple[str, str, dict[str, str], bytes]) -> None:
    method, path, headers, body = value
    resp = dispatch(context(), Request(method, path, headers, body))
    # The HTTP handler turns an exception into a 500 "the sandbox failed": none may happen.
    assert 200 <= resp.status < 500, f"HTTP {resp.status}"
    if not isinstance(resp.body, bytes):
        json.dumps(resp.body)  # what the handler sends must be JSON


@cache
def owner() -> SandboxServer:
    """A sandbox server object that is never started: the handler needs its
    context, faults and journal, not its socket."""
    server = SandboxServer(context().db_path, terminals={TERMINAL: TOKEN})
    server._context = context()
    return server


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: sandbox"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if "content-length" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + body


def gen_http(src: Source) -> bytes:
    raw = raw_request(*gen_request(src))
    if chance(src, 20):
        raw = mutate_bytes(src, raw)
    if chance(src, 10):  # a second request on the same connection (keep-alive)
        raw += raw_request(*gen_request(src))
    if chance(src, 3):
        raw = src.choice((b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 120 + b"\r\n",
                          b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
                          b"POST /v1/profile HTTP/1.1\r\nX: " + b"b" * 70_000 + b"\r\n\r\n",
                          b"\r\n\r\n", b"GET\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
    return raw


def check_http(raw: bytes) -> None:
    ours, theirs = socket.socketpair()
    failure: list[BaseException] = []

    def handle() -> None:
        try:
            Handler(ours, ("127.0.0.1", 0), _Server())
        except BaseException as e:  # socketserver would log it and drop the client
            failure.append(e)
        finally:
            ours.close()

    worker = threading.Thread(target=handle)
    worker.start()
    try:
        try:
            theirs.sendall(raw)
            theirs.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the handler answered (431, 414) and hung up before reading it all
        replies = bytearray()
        with contextlib.suppress(ConnectionResetError):  # it hung up on unread bytes
            while chunk := theirs.recv(1 << 16):
                replies += chunk
    finally:
        worker.join()
        theirs.close()
    if failure:
        raise failure[0]
    assert re.search(rb"HTTP/1\.[01] 500 ", replies) is None, "the sandbox failed"


class _Server:
    """What Handler asks of its server: the sandbox that owns it."""

    owner: Any = None

    def __init__(self) -> None:
        self.owner = owner()


TARGETS = [
    Target("sandbox.dispatch", "a JSON reply with a 2xx or 4xx status for any request, "
           "never an exception", gen_request, check_dispatch, (), examples=150),
    Target("sandbox.http", "never a 500 and never an exception out of the "
           "handler, for any bytes on the connection", gen_http, check_http, (), examples=100),
]
