"""The metrics endpoint: GET /metrics (Prometheus text 0.0.4) and GET /health.

stdlib ThreadingHTTPServer on a daemon thread. Bound to 127.0.0.1 unless the
config says otherwise: a kiosk stands in a public hall, and its metrics are for
the fleet's Prometheus (through a tunnel or the management network), not for
anyone who plugs into the hall's network.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from kiosk.fleet.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    """``"host:port"`` (``"[::1]:9108"`` for IPv6) → (host, port); ValueError if not."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("must be \"HOST:PORT\", e.g. \"127.0.0.1:9108\"")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    number = int(port)
    if not 0 <= number <= 65535:
        raise ValueError("the port must be 0 to 65535")
    return host, number


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    render: Callable[[], str]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/metrics":
            try:
                body = self.server.render().encode("utf-8")
            except Exception as exc:  # never a traceback to a scraper, nor a dead thread
                log.error("metrics failed: %s", type(exc).__name__)
                self._send(500, b"metrics failed\n", "text/plain; charset=utf-8")
                return
            self._send(200, body, CONTENT_TYPE)
        elif path == "/health":
            self._send(200, json.dumps({"status": "ok"}).encode(), "application/json")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def do_HEAD(self) -> None:
        self._send(405, b"", "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def version_string(self) -> str:
        return "kiosk-metrics"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics %s", format % args)


class MetricsServer:
    def __init__(self, render: Callable[[], str], host: str = "127.0.0.1", port: int = 0
                 ) -> None:
        self._render = render
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsServer:
        if self._server is None:
            cls = _Server6 if ":" in self._address[0] else _Server
            server = cls(self._address, _Handler)
            server.render = self._render
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, name="metrics",
                                            kwargs={"poll_interval": 0.2}, daemon=True)
            self._thread.start()
            log.info("metrics at %s", self.url)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host = str(self._server.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
