"""The gateway client's transport: terminal authentication, timeouts, safe
retries with backoff, and errors typed from the HTTP reply.

Retries only where repeating cannot do harm: reads, and state-changing calls
that carry an idempotency key (the gateway replays its stored reply for a
key it has seen). Everything else fails fast with a typed GatewayError.
Request and reply bodies hold personal data and are never logged.

TLS (docs/gateway.md): `ca_file` pins the CA that may vouch for the gateway (the
system's store is then not consulted), `client_cert` is the terminal's
certificate and key. A refused handshake is a GatewayTLSError, not retried.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import logging
import math
import re
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any, Self

import requests
import urllib3

from kiosk.api.errors import (
    ErrorCode,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)

log = logging.getLogger("kiosk.api.client")

RETRYABLE_STATUS = frozenset({502, 503, 504})
# The largest reply the gateway sends legitimately is a few kB (docs/gateway.md).
# A gateway gone wrong, or whoever stands in its place, must not fill the
# kiosk's memory: a longer reply is refused as it arrives (decompressed size).
MAX_REPLY_BYTES = 4 * 1024 * 1024
_CHUNK = 64 * 1024
MAX_RETRY_AFTER_S = 5.0
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# When a 4xx reply carries no usable error code (say, from a proxy).
_STATUS_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


class GatewayTLSError(GatewayUnavailable):
    """The TLS handshake with the gateway failed: its certificate is not from the
    pinned CA, expired or for another host, or the gateway refused the terminal's
    certificate. Not retried (the same handshake fails again) but, like any
    unavailable gateway, tried again later: a renewed certificate ends it. Its
    ``.code`` stays "gateway_unavailable", what the citizen is told; ``.reason``
    (OpenSSL's, e.g. "certificate has expired") is for the technician."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _user_agent() -> str:
    try:
        version = metadata.version("kiosk")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"kiosk/{version}"


class Transport:
    """HTTP to the gateway as one authenticated terminal (GatewayClient adds
    the operations)."""

    def __init__(
        self,
        base_url: str,
        terminal_id: str,
        token: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ca_file: str | None = None,
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        """`ca_file`: PEM of the only CA trusted for the gateway (None: the system's
        store); `client_cert`: (certificate, key) PEM files of this terminal."""
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.terminal_id = terminal_id
        self._token = token
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._user_agent = _user_agent()
        # None leaves it to the session (requests: the system store, no certificate).
        self._verify = ca_file or None
        self._cert = client_cert
        self._tls_reported: set[str] = set()

    def __repr__(self) -> str:  # without the token
        return f"{type(self).__name__}({self.base_url!r}, terminal_id={self.terminal_id!r})"

    def close(self) -> None:
        """Close the connection pool, if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def new_idempotency_key() -> str:
        """A fresh key for one intended operation; keep it for its retries and replays."""
        return str(uuid.uuid4())

    # --- plumbing -----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        *,
        read: bool = False,
    ) -> Any:
        """Send one call, retrying when safe; the decoded JSON reply or a GatewayError.

        `read` marks a POST that changes nothing, so it may be retried.
        """
        retry_safe = read or method in ("GET", "HEAD") or idempotency_key is not None
        attempts = 1 + (self.retries if retry_safe else 0)
        headers = {
            "X-Terminal-Id": self.terminal_id,
            "Authorization": f"Bearer {self._token}",
            "User-Agent": self._user_agent,
            "Accept": "application/json",
        }
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key  # the same on every retry
        for attempt in range(1, attempts + 1):
            try:
                resp = self._send(method, path, json, headers)
            except _TRANSIENT as exc:
                reason = type(exc).__name__
                if attempt == attempts:
                    raise GatewayUnavailable(
                        f"{method} {path}: {reason} after {attempt} attempt(s)"
                    ) from exc
                self._backoff(method, path, reason, attempt, attempts, None)
                continue
            except OSError as exc:  # requests' own errors are OSErrors too
                # Not transient (bad URL, bad configuration, a certificate file
                # gone since the config was checked): retrying cannot help.
                raise GatewayUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
            if (resp.status_code in RETRYABLE_STATUS and attempt < attempts
                    and _error_code(_decode(resp)) != ErrorCode.DEPARTMENT_UNAVAILABLE):
                self._backoff(
                    method,
                    path,
                    f"HTTP {resp.status_code}",
                    attempt,
                    attempts,
                    resp.headers.get("Retry-After"),
                )
                continue
            return self._reply(method, path, resp, attempt)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _send(self, method: str, path: str, json: dict[str, Any] | None,
              headers: dict[str, str]) -> _Reply:
        try:
            resp = self._session.request(
                method,
                self.base_url + path,
                json=json,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # a redirect would turn a POST into a GET
                verify=self._verify,
                cert=self._cert,
                stream=True,  # the body is read here, within bounds
            )
        except OSError as exc:
            reason = _tls_reason(exc)
            if reason is None:
                raise
            # Once per reason and client at warning: the connectivity probe would
            # repeat it every few seconds. Endpoint and reason only, no body.
            seen = reason in self._tls_reported
            self._tls_reported.add(reason)
            log.log(logging.DEBUG if seen else logging.WARNING,
                    "gateway %s %s: TLS handshake failed: %s", method, path, reason)
            raise GatewayTLSError(f"{method} {path}: TLS handshake failed: {reason}",
                                  reason=reason) from exc
        with resp:
            return _Reply(resp.status_code, resp.headers,
                          self._body(method, path, resp))

    def _body(self, method: str, path: str, resp: requests.Response) -> bytes:
        """The reply's body, at most MAX_REPLY_BYTES once decompressed, and read
        within the read timeout as a whole: a reply that trickles in a byte at a
        time is a timeout (retried as one), not a kiosk held for ever."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
            raise GatewayProtocolError(f"{method} {path}: reply of {declared} bytes is over "
                                       f"the {MAX_REPLY_BYTES} limit", status=resp.status_code)
        deadline = time.monotonic() + self.timeout[1]
        body = bytearray()
        while chunk := _read_some(resp):
            body += chunk
            if len(body) > MAX_REPLY_BYTES:
                raise GatewayProtocolError(f"{method} {path}: reply over the {MAX_REPLY_BYTES} "
                                           "bytes limit", status=resp.status_code)
            if time.monotonic() > deadline:
                raise requests.ReadTimeout(f"{method} {path}: reply not read in "
                                           f"{self.timeout[1]} s")
        return bytes(body)

    def _backoff(
        self,
        method: str,
        path: str,
        reason: str,
        attempt: int,
        attempts: int,
        retry_after: str | None,
    ) -> None:
        delay = min(self.backoff_s * 2 ** (attempt - 1), MAX_RETRY_AFTER_S)
        if retry_after is not None:
            # Seconds only; the HTTP-date form is rare and falls back to backoff.
            with contextlib.suppress(ValueError):
                seconds = float(retry_after)
                if math.isfinite(seconds):
                    delay = min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
        log.warning(
            "gateway %s %s: %s; retry %d/%d in %.2fs",
            method,
            path,
            reason,
            attempt,
            attempts - 1,
            delay,
        )
        self._sleep(delay)

    def _reply(self, method: str, path: str, resp: _Reply, attempt: int) -> Any:
        status = resp.status_code
        log.debug("gateway %s %s -> %d (attempt %d)", method, path, status, attempt)
        if 200 <= status < 300:
            data = _decode(resp)
            if data is _INVALID:
                raise GatewayProtocolError(f"{method} {path}: reply is not JSON", status=status)
            return data
        if status >= 500:
            down = _error_code(_decode(resp)) == ErrorCode.DEPARTMENT_UNAVAILABLE
            raise GatewayUnavailable(
                f"{method} {path}: HTTP {status} after {attempt} attempt(s)",
                status=status, code=ErrorCode.DEPARTMENT_UNAVAILABLE.value if down else None,
                retry_after_s=_retry_after_s(resp.headers.get("Retry-After")),
            )
        if 400 <= status < 500:
            data = _decode(resp)
            code = _error_code(data) or _STATUS_CODES.get(status, GatewayRejected.code)
            # The gateway's message is left out: it is not ours to vouch for.
            raise GatewayRejected(
                f"{method} {path}: HTTP {status} {code}", code=code, status=status,
                attempts_left=_attempts_left(data) if code == ErrorCode.CODE_WRONG else None,
                retry_after_s=_retry_after_s(resp.headers.get("Retry-After")),
            )
        raise GatewayProtocolError(f"{method} {path}: unexpected HTTP {status}", status=status)


@dataclass(frozen=True)
class _Reply:
    """A reply read whole (within bounds): what the client looks at."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


def _read_some(resp: requests.Response) -> bytes:
    """What has arrived of the body (one read from the socket, decompressed
    no further than a chunk), b"" at its end; urllib3's errors as requests'
    (as iter_content would raise them), so the retries see a network fault."""
    try:
        return resp.raw.read1(_CHUNK, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ReadTimeout(str(exc)) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(str(exc)) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc)) from exc
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError) as exc:
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc


_INVALID = object()
# Ends of a connection, not verdicts on a certificate: a network fault, retried.
_NOT_TLS_VERDICTS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


def _tls_reason(exc: BaseException) -> str | None:
    """Why the TLS handshake was refused, if that is what ``exc`` (from requests,
    wrapping urllib3, wrapping ssl) comes down to; None for anything else."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or "certificate verify failed"
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, _NOT_TLS_VERDICTS):
            # OpenSSL's reason: "TLSV13_ALERT_CERTIFICATE_REQUIRED" -> words.
            return (cause.reason or type(cause).__name__).lower().replace("_", " ")
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: causes, contexts, urllib3's ``reason`` and
    exceptions among the arguments (requests wraps its errors in all four ways)."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        todo.extend(x for x in inner if isinstance(x, BaseException))


def _retry_after_s(header: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare here: ignored)."""
    try:
        seconds = float(header) if header is not None else math.nan
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _decode(resp: _Reply) -> Any:
    try:
        return jsonlib.loads(resp.content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _INVALID


def _attempts_left(data: Any) -> int | None:
    error = data.get("error") if isinstance(data, dict) else None
    left = error.get("attempts_left") if isinstance(error, dict) else None
    return left if isinstance(left, int) and not isinstance(left, bool) and left >= 0 else None


def _error_code(data: Any) -> str | None:
    """error.code of an error reply, if it is there and looks like a code."""
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
