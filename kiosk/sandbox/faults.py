"""Fault injection: make the sandbox misbehave on purpose, so the kiosk's
resilience (retries, timeouts, malformed replies) is tested against a real
server rather than a mock."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Fault:
    """One injected misbehaviour; `remaining` counts down as requests take it."""

    path_prefix: str
    status: int
    remaining: int
    delay_s: float
    body: bytes | None
    retry_after: int | str | None
    after_handler: bool


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
    ) -> None:
        """The next `times` requests whose path starts with `path_prefix` get
        `status` (with `body` verbatim if given, else a JSON error) after waiting
        `delay_s`. `retry_after` adds a Retry-After header. With `after_handler`
        the request is processed first and only its reply is replaced: the
        gateway did the work but the kiosk never heard back."""
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._release.clear()
            self._faults.append(
                Fault(path_prefix, status, times, delay_s, body, retry_after, after_handler)
            )

    def clear(self) -> None:
        """Drop every pending fault and release replies that are being delayed."""
        with self._lock:
            self._faults.clear()
            self._release.set()

    def take(self, path: str, *, after_handler: bool) -> Fault | None:
        """Consume one use of the first pending fault matching `path`, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.after_handler == after_handler and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def wait(self, delay_s: float) -> None:
        """Hold a reply for `delay_s`, or less if the faults are cleared meanwhile."""
        if delay_s > 0:
            self._release.wait(delay_s)

    @property
    def pending(self) -> int:
        """How many injected replies are still to be served."""
        with self._lock:
            return sum(f.remaining for f in self._faults)
