"""A reply the gateway would never send cannot hold or fill the kiosk: one
over MAX_REPLY_BYTES (declared, streamed, or a small gzip that inflates) is a
protocol error read no further, and one that trickles in is a timeout. Served
by a raw HTTP server on 127.0.0.1 that answers exactly as told."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from kiosk.api import GatewayClient, GatewayProtocolError, GatewayUnavailable
from kiosk.api.transport import MAX_REPLY_BYTES

Answer = Callable[[socket.socket], None]


class RawServer:
    """Answers each connection with ``answer`` after reading the request."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sent = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                with contextlib.suppress(OSError):  # the client hung up: a refusal
                    self.answer(conn)

    def close(self) -> None:
        self.listener.close()


def head(conn: socket.socket, *headers: str) -> None:
    conn.sendall(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode())


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Answer) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def client(url: str, read_timeout: float = 5.0) -> GatewayClient:
    return GatewayClient(url, "KIOSK-T", "token", read_timeout=read_timeout, retries=0,
                         sleep=lambda _s: None)


def test_a_declared_length_over_the_limit_is_refused_unread(serve) -> None:
    def answer(conn: socket.socket) -> None:
        head(conn, f"Content-Length: {100 * MAX_REPLY_BYTES}")
        conn.sendall(b"{" * 65536)

    with pytest.raises(GatewayProtocolError, match="limit"):
        client(serve(answer).url).health()


def test_a_chunked_stream_without_end_is_cut_at_the_limit(serve) -> None:
    server: RawServer

    def answer(conn: socket.socket) -> None:
        head(conn, "Transfer-Encoding: chunked")
        chunk = b"[" * 65536
        while server.sent < 50 * MAX_REPLY_BYTES:  # would go on and on
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            server.sent += len(chunk)

    server = serve(answer)
    with pytest.raises(GatewayProtocolError, match="limit"):
        client(server.url).health()
    assert server.sent < 4 * MAX_REPLY_BYTES  # read no further than needed


def test_a_small_gzip_that_inflates_past_the_limit_is_refused(serve) -> None:
    bomb = gzip.compress(b" " * (20 * MAX_REPLY_BYTES))  # ~80 kB on the wire

    def answer(conn: socket.socket) -> None:
        head(conn, "Content-Encoding: gzip", f"Content-Length: {len(bomb)}")
        conn.sendall(bomb)

    assert len(bomb) < MAX_REPLY_BYTES // 10
    with pytest.raises(GatewayProtocolError, match="limit"):
        client(serve(answer).url).health()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_reply_that_trickles_in_is_a_timeout_not_a_kiosk_held(serve, chunked: bool) -> None:
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        head(conn, "Transfer-Encoding: chunked" if chunked else "Content-Length: 100000")
        while not stop.is_set():  # a byte at a time, each well within the read timeout
            conn.sendall(b"1\r\n \r\n" if chunked else b" ")
            stop.wait(0.05)

    started = time.monotonic()
    try:
        with pytest.raises(GatewayUnavailable, match="Timeout"):
            client(serve(answer).url, read_timeout=0.5).health()
    finally:
        stop.set()
    assert time.monotonic() - started < 5  # the read timeout bounds the whole reply


def test_a_reply_at_the_limit_is_still_read(serve) -> None:
    body = b'{"status": "ok", "pad": "' + b"x" * (MAX_REPLY_BYTES - 64) + b'"}'

    def answer(conn: socket.socket) -> None:
        head(conn, f"Content-Length: {len(body)}")
        conn.sendall(body)

    assert len(body) <= MAX_REPLY_BYTES
    assert client(serve(answer).url).health()["pad"] == "x" * (MAX_REPLY_BYTES - 64)
