"""The sandbox gateway's server: lifecycle, online switch, request journal.

Privacy: the request log holds method, route and status only, never bodies,
query strings or unrouted paths, which could carry names or ID numbers.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from kiosk.sandbox import db
from kiosk.sandbox.core import Context
from kiosk.sandbox.faults import Faults
from kiosk.sandbox.handler import GatewayHTTPServer, Handler
from kiosk.sandbox.routes import ROUTES
from kiosk.sandbox.tls import LOOPBACK_HOSTS, TlsDir, TlsFiles, make_tls_dir, server_context

log = logging.getLogger("kiosk.sandbox")

DEFAULT_TERMINALS: Mapping[str, str] = {"demo-terminal-01": "sandbox-demo-token"}
JOURNAL_SIZE = 10_000


@dataclass(frozen=True)
class RequestRecord:
    """What the server saw, for tests: no bodies, so no personal data."""

    method: str
    path: str
    status: int | None  # None: the connection was dropped without a reply
    idempotency_key: str | None
    user_agent: str | None


class SandboxServer:
    """The sandbox gateway on a background thread; also a context manager.

    `set_online(False)` simulates a gateway that is down: every request,
    health included, gets its connection closed without any reply, so the
    client sees a connection error (not an HTTP status).

    With `tls`, it serves https; with `tls.client_ca`, it also requires a client
    certificate signed by that CA (refused in the handshake, before any HTTP),
    and a request whose X-Terminal-Id is not the certificate's common name is
    `403 forbidden`, as a gateway binding certificates to terminals would answer.
    """

    def __init__(
        self,
        db_path: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        terminals: dict[str, str] | None = None,
        *,
        verbose: bool = False,
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        """`today` dates vouchers and demo records; `now` (UTC) times codes,
        payments and submissions; tests pass their own clocks."""
        self.db_path = Path(db_path)
        self.host = host
        self.port = port
        self.verbose = verbose
        self.tls = tls
        self.faults = Faults()
        self._today = today
        self._context = Context(
            self.db_path, dict(terminals if terminals is not None else DEFAULT_TERMINALS), today,
            now or (lambda: datetime.now(UTC)), self.faults,
        )
        self._online = True
        self._lock = threading.Lock()
        # Bounded: `kiosk sandbox serve` may run for days.
        self._journal: deque[RequestRecord] = deque(maxlen=JOURNAL_SIZE)
        self._connections: set[socket.socket] = set()
        self._httpd: GatewayHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Create and seed the database if needed, then listen; returns once listening."""
        if self._httpd is not None:
            raise RuntimeError("sandbox server already started")
        db.init_db(self.db_path, self._today())
        # Before binding: a broken certificate or key fails here, not per connection.
        context = server_context(self.tls) if self.tls is not None else None
        # Binding and listening happen in the constructor, so connections made
        # after start() returns are queued even before serve_forever runs.
        httpd = GatewayHTTPServer((self.host, self.port), Handler)
        httpd.owner = self
        httpd.tls_context = context
        self._httpd = httpd
        self._thread = threading.Thread(
            # A short poll so stop() returns promptly (shutdown waits for a poll).
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="kiosk-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        self.faults.clear()  # releases replies held by a delay fault
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("sandbox server not started")
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls is not None else 'http'}://{host}:{port}"

    @property
    def transactions(self) -> list[dict[str, Any]]:
        """What GET /_sandbox/transactions shows: every accepted state change."""
        return self._context.calls.entries()

    @property
    def online(self) -> bool:
        return self._online

    def set_online(self, online: bool) -> None:
        """False: hang up on every request without replying, until set back."""
        self._online = online

    @property
    def journal(self) -> list[RequestRecord]:
        """The requests seen so far (the last JOURNAL_SIZE), oldest first."""
        with self._lock:
            return list(self._journal)

    def _record(
        self, method: str, path: str, status: int | None, key: str | None, user_agent: str | None
    ) -> None:
        with self._lock:
            self._journal.append(RequestRecord(method, path, status, key, user_agent))
        if self.verbose:
            shown = path if path in ROUTES else "<unrouted>"
            log.info("%s %s %s", method, shown, "dropped" if status is None else status)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    terminals: dict[str, str] | None = None,
    verbose: bool = True,
    tls: TlsFiles | None = None,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C (`kiosk sandbox serve`)."""
    if verbose and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with SandboxServer(db_path, host, port, terminals, verbose=verbose, tls=tls) as server:
        print(f"Sandbox gateway listening on {server.url} (database {db_path})", flush=True)
        print(f"API description: {server.url}/v1/openapi.json; Ctrl-C stops.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Sandbox gateway stopped.", flush=True)


def sandbox_tls(directory: Path, host: str, port: int) -> TlsFiles:
    """`kiosk sandbox serve --tls-dir DIR`: the test CA and certificates in DIR
    (made if DIR lacks them, kept otherwise, so a terminal configured for them
    keeps working across restarts), and the config lines a terminal needs, printed."""
    files = TlsDir.at(directory)
    if not files.complete:
        hosts = LOOPBACK_HOSTS + ((host,) if host not in (*LOOPBACK_HOSTS, "0.0.0.0", "::")
                                  else ())
        files = make_tls_dir(directory, terminal_id=next(iter(DEFAULT_TERMINALS)), hosts=hosts)
        print(f"Made a test CA, a server certificate and a terminal certificate in {directory}",
              flush=True)
    shown = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
    print(f"A terminal's config for this sandbox (TEST ONLY):\n"
          f"{files.config_lines(f'https://{shown}:{port}')}", flush=True)
    return files.server_files()
