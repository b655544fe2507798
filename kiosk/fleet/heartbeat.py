"""The heartbeat: every N seconds, POST /v1/terminals/{id}/heartbeat to the gateway.

A small JSON of what the fleet's operators need to see without a scrape: the
terminal id, uptime, app version, each device's state, the active alert codes
and the outbox counts (``FleetMetrics.snapshot``), plus whatever ``extra`` adds
(the audit log's head, when there is one). Nothing personal.

Runs on its own daemon thread with its own gateway client (no retries: the
next beat is the retry). A failure is logged once when it starts and once when
it clears, counted in ``kiosk_errors_total{kind="heartbeat"}``, never raised.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.api.errors import GatewayError

log = logging.getLogger(__name__)


class Beats(Protocol):
    def heartbeat(self, payload: dict[str, Any]) -> Any: ...


class Heartbeat:
    def __init__(self, client: Beats, payload: Callable[[], dict[str, Any]], interval_s: float,
                 *, extra: Callable[[], dict[str, Any]] | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be more than 0")
        self.client = client
        self.payload = payload
        self.interval_s = interval_s
        self.extra = extra
        self.on_error = on_error
        self.sent = 0
        self.failed = 0
        self.last_error = ""  # "" while the gateway takes them
        self.last_size = 0  # bytes of the last body, as JSON
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Send one heartbeat now (on the calling thread). True if the gateway took it."""
        try:
            body = self.payload()
            if self.extra is not None:
                body["extra"] = self.extra()
            self.last_size = len(_json(body))
            self.client.heartbeat(body)
        except GatewayError as exc:
            return self._failed(f"{type(exc).__name__}: {exc.code}")
        except Exception as exc:  # a broken payload source must not stop the beat
            return self._failed(f"{type(exc).__name__}")
        self.sent += 1
        if self.last_error:
            log.info("heartbeat delivered again (after %s)", self.last_error)
            self.last_error = ""
        return True

    def _failed(self, error: str) -> bool:
        self.failed += 1
        if error != self.last_error:
            log.warning("heartbeat not delivered: %s", error)
            self.last_error = error
        if self.on_error is not None:
            self.on_error("heartbeat")
        return False

    def start(self) -> Heartbeat:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
