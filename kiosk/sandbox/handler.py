"""HTTP plumbing: stdlib ThreadingHTTPServer and a request handler that turns
each request into a routes.Request, applies faults, and writes JSON replies."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk.sandbox.departments import DEPARTMENTS
from kiosk.sandbox.faults import Fault, default_code
from kiosk.sandbox.routes import Request, Response, dispatch, error_body
from kiosk.sandbox.tls import peer_common_name

if TYPE_CHECKING:
    from kiosk.sandbox.server import SandboxServer

log = logging.getLogger("kiosk.sandbox")

MAX_BODY = 64 * 1024


class _BadBody(Exception):
    pass


def _department(path: str, body: bytes) -> str | None:
    """Whose request this is, for faults by department: the /v1/<dept>/ path,
    else the prefix of the body's service_id. Nothing of the body is kept."""
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "v1" and parts[2] in DEPARTMENTS:
        return parts[2]
    if b"service_id" not in body:
        return None
    try:
        service_id = json.loads(body).get("service_id")
    except (ValueError, RecursionError, AttributeError):
        return None
    if not isinstance(service_id, str):
        return None
    department = service_id.split(".", 1)[0]
    return department if department in DEPARTMENTS else None


def _linger(conn: ssl.SSLSocket) -> None:
    """After refusing a handshake: read what the client still sends until it hangs
    up (a second at most). Under TLS 1.3 the client sends its request before our
    alert arrives; closing with that request unread would reset the connection,
    and the reset can overtake the alert that tells the client why."""
    conn.settimeout(1.0)
    with contextlib.suppress(OSError):
        while socket.socket.recv(conn, 4096):  # the raw socket: TLS is over
            pass


class GatewayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: SandboxServer
    tls_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        if self.tls_context is None:
            return conn, address
        # The handshake runs on the connection's own thread (Handler.setup): done
        # here, in the accepting thread, one silent client would stall every other.
        return self.tls_context.wrap_socket(conn, server_side=True,
                                            do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-reply is routine here (timeouts, faults);
        # the stdlib default would print a traceback for each one.
        log.debug("connection error from a client", exc_info=False)


class Handler(BaseHTTPRequestHandler):
    server: GatewayHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the real gateway offers
    # Buffered: headers and body leave in one segment when the request is done.
    # Unbuffered, the body waits for the client's delayed ACK of the headers
    # (Nagle), 40 ms on every call.
    wbufsize = 64 * 1024
    server_version = "kiosk-sandbox/1"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):  # self.connection is set by setup()
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                # A client without a certificate, or that does not trust ours: the
                # OpenSSL reason names which (no request was read, nothing personal).
                log.info("TLS handshake refused: %s",
                         getattr(exc, "reason", None) or type(exc).__name__)
                _linger(self.request)
                raise
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _handle(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        key = self.headers.get("Idempotency-Key")
        if not owner.online:
            # Offline: hang up without a word, as a dead gateway or a cut line does.
            self._hang_up(path, key)
            return
        try:
            body = self._read_body()
        except _BadBody as exc:
            self.close_connection = True
            self._send(400, error_body("invalid_request", str(exc)), {}, path, key)
            return
        if not self._certificate_matches():
            self._send(403, error_body("forbidden", "the client certificate is not this "
                                       "terminal's"), {}, path, key)
            return
        department = _department(path, body)
        fault = owner.faults.take(path, department, after_handler=False)
        if fault is not None and self._apply_fault(fault, path, key):
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, path, headers, body)
        try:
            resp = dispatch(owner._context, req)
        except Exception as exc:
            # Type only: an exception's text may quote the data it choked on.
            log.error("handler failed: %s", type(exc).__name__)
            resp = Response(500, error_body("internal", "the sandbox failed"))
        fault = owner.faults.take(path, department, after_handler=True)
        if fault is not None and self._apply_fault(fault, path, key):
            return
        self._send(resp.status, resp.body, resp.headers, path, key)

    def _certificate_matches(self) -> bool:
        """With client certificates, a terminal speaks only as itself: the
        certificate's common name must be the X-Terminal-Id it sends."""
        terminal = self.headers.get("X-Terminal-Id")
        if terminal is None or not isinstance(self.connection, ssl.SSLSocket):
            return True
        cert = self.connection.getpeercert()
        return not cert or peer_common_name(cert) == terminal  # no client_ca: none asked

    def _apply_fault(self, fault: Fault, path: str, key: str | None) -> bool:
        """Act out a fault; True if it answered (or hung up) in place of the handler."""
        faults = self.server.owner.faults
        if fault.mode == "slow":
            faults.wait(fault.delay_s)
            return False
        if fault.mode == "timeout" or (fault.mode == "down" and fault.department is None):
            faults.wait(fault.delay_s)
            self._hang_up(path, key)
            return True
        if fault.mode == "down":
            body = error_body("department_unavailable", "the department's system is not answering")
            self._send(503, body, {}, path, key)
            return True
        self._send_fault(fault, path, key)
        return True

    def _hang_up(self, path: str, key: str | None) -> None:
        self.close_connection = True
        self.server.owner._record(self.command, path, None, key, self.headers.get("User-Agent"))

    def _read_body(self) -> bytes:
        if "Transfer-Encoding" in self.headers:
            raise _BadBody("chunked bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise _BadBody("bad Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise _BadBody("body too large")
        return self.rfile.read(length)

    def _send_fault(self, fault: Fault, path: str, key: str | None) -> None:
        self.server.owner.faults.wait(fault.delay_s)
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        body: Any = fault.body
        if body is None:
            body = error_body(default_code(fault.status), "injected fault")
        self._send(fault.status, body, headers, path, key)

    def _send(
        self, status: int, body: Any, headers: Mapping[str, str], path: str, key: str | None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        # Journal first: once the client has the reply, the journal shows it.
        self.server.owner._record(self.command, path, status, key, self.headers.get("User-Agent"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises itself (bad request line, unknown method) as JSON too."""
        self.close_connection = True
        error = "method_not_allowed" if code in (405, 501) else default_code(code)
        # The stdlib's own message may quote the request line: use the bare phrase.
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        data = json.dumps(error_body(error, phrase)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # The stdlib would log the request line, which may hold anything;
        # _record logs a filtered line instead.
        pass
