"""The connectivity monitor: is the gateway reachable, and which departments are down.

A probe runs every ``interval_s`` on its own thread: it returns the departments
that are down, or raises when the gateway cannot be reached. Listeners hear of
every change, ``(online, departments_down)``, on the monitor's thread (the UI
posts it to its own); availability follows from it (``online`` services go
unavailable, ``queue`` services queue). When the gateway or a department comes
back, ``wake`` is called (the sync worker's, so the outbox drains at once
instead of when its backoff ends).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Listener = Callable[[bool, frozenset[str]], None]


class Connectivity:
    def __init__(self, probe: Callable[[], frozenset[str]], *, interval_s: float = 15.0,
                 wake: Callable[[], None] | None = None,
                 wait: Callable[[threading.Event, float], object] | None = None) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._probe = probe
        self.interval_s = interval_s
        self._wake = wake
        self._wait = wait or (lambda event, timeout: event.wait(timeout))
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._online: bool | None = None  # None: not probed yet
        self._down: frozenset[str] = frozenset()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def online(self) -> bool | None:
        """Whether the gateway answered the last probe (None before the first)."""
        return self._online

    @property
    def departments_down(self) -> frozenset[str]:
        return self._down

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def check(self) -> tuple[bool, frozenset[str]]:
        """Probe once now; tell listeners if anything changed. Returns the state."""
        try:
            down = frozenset(self._probe())
            online = True
        except Exception as e:  # unreachable, timed out, a malformed answer: offline
            log.debug("connectivity probe failed: %s", type(e).__name__)
            online, down = False, self._down
        with self._lock:
            before_online, before_down = self._online, self._down
            self._online, self._down = online, down
            listeners = list(self._listeners)
        if (online, down) == (before_online, before_down):
            return online, down
        log.info("connectivity: %s%s", "online" if online else "offline",
                 f", departments down: {', '.join(sorted(down))}" if online and down else "")
        for listener in listeners:
            try:
                listener(online, down)
            except Exception as e:
                log.error("connectivity listener failed: %s", type(e).__name__)
        came_back = online and (before_online is False or bool(before_down - down))
        if came_back and self._wake is not None:
            self._wake()
        return online, down

    def start(self) -> Connectivity:
        if self._thread is not None:
            raise RuntimeError("connectivity monitor already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-connectivity",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.check()
            self._wait(self._stopping, self.interval_s)
