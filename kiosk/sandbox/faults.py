"""Fault injection: make the sandbox misbehave on purpose, so the kiosk's
resilience (retries, timeouts, malformed replies, a department down) is
tested against a real server rather than a mock.

A fault matches requests by path prefix, by department (the `/v1/<dept>/`
path or the body's service_id prefix), or both; the test-control paths
(`/_sandbox/`) are never faulted. Modes:

- reply: the given status and body (`inject`, the Python API of old);
- error: a 5xx JSON error;
- slow: the request waits `delay_s`, then is handled as usual;
- timeout: the request is held for `delay_s` (longer than the client's read
  timeout), then the connection is closed without a reply;
- malformed: a 200 whose body is not what the API description says;
- down: with a department, its calls get 503 department_unavailable and
  /v1/departments/status shows it down; with only a path, the gateway hangs
  up on those requests without a word.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

MODES = ("reply", "error", "slow", "timeout", "malformed", "down")
CONTROL_PREFIX = "/_sandbox/"
MALFORMED_BODY = b'{"malformed": true, "records": "not what the description says"}'


@dataclass
class Fault:
    """One injected misbehaviour; `remaining` counts down as requests take it
    (None: until the faults are cleared)."""

    path_prefix: str | None
    status: int
    remaining: int | None
    delay_s: float
    body: bytes | None
    retry_after: int | str | None
    after_handler: bool
    mode: str = "reply"
    department: str | None = None

    def matches(self, path: str, department: str | None) -> bool:
        if path.startswith(CONTROL_PREFIX):
            return False
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return False
        return self.department is None or self.department == department


_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    409: "insufficient_balance",
    422: "idempotency_conflict",
    500: "internal",
}


def default_code(status: int) -> str:
    """The error code an injected reply without an explicit body carries."""
    if status in _CODES:
        return _CODES[status]
    return "unavailable" if status >= 500 else "invalid_request"


class Faults:
    """Thread-safe queue of faults, consulted by every request the server gets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        # Delayed replies wait on this event instead of sleeping, so clear() and
        # server shutdown release them at once instead of leaving threads behind.
        self._release = threading.Event()

    def inject(
        self,
        path_prefix: str,
        status: int = 503,
        times: int = 1,
        delay_s: float = 0.0,
        body: bytes | None = None,
        *,
        retry_after: int | str | None = None,
        after_handler: bool = False,
        department: str | None = None,
    ) -> None:
        """The next `times` requests whose path starts with `path_prefix` get
        `status` (with `body` verbatim if given, else a JSON error) after waiting
        `delay_s`. `retry_after` adds a Retry-After header. With `after_handler`
        the request is processed first and only its reply is replaced: the
        gateway did the work but the kiosk never heard back."""
        self.add(mode="reply", path_prefix=path_prefix, department=department, status=status,
                 times=times, delay_s=delay_s, body=body, retry_after=retry_after,
                 after_handler=after_handler)

    def add(
        self,
        *,
        mode: str,
        path_prefix: str | None = None,
        department: str | None = None,
        status: int = 503,
        times: int | None = 1,
        delay_s: float = 0.0,
        body: bytes | None = None,
        retry_after: int | str | None = None,
        after_handler: bool = False,
    ) -> None:
        """Any fault (see the module's doc); `times=None` lasts until cleared."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1")
        if mode == "malformed" and body is None:
            body = MALFORMED_BODY
        with self._lock:
            self._release.clear()
            self._faults.append(Fault(path_prefix, status, times, delay_s, body, retry_after,
                                      after_handler and mode != "down", mode, department))

    def clear(self) -> None:
        """Drop every pending fault and release replies that are being delayed."""
        with self._lock:
            self._faults.clear()
            self._release.set()

    def take(self, path: str, department: str | None = None, *,
             after_handler: bool) -> Fault | None:
        """Consume one use of the first pending fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.after_handler == after_handler and fault.matches(path, department):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def department_down(self, department: str) -> bool:
        """Whether a `down` fault holds `department` down (consumes nothing)."""
        with self._lock:
            return any(f.mode == "down" and f.department == department for f in self._faults)

    def wait(self, delay_s: float) -> None:
        """Hold a reply for `delay_s`, or less if the faults are cleared meanwhile."""
        if delay_s > 0:
            self._release.wait(delay_s)

    @property
    def pending(self) -> int:
        """How many injected replies are still to be served (a fault without a
        count counts once)."""
        with self._lock:
            return sum(1 if f.remaining is None else f.remaining for f in self._faults)
