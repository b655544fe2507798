"""What every device shares: a status with change events and one worker thread.

Device I/O is serialised on a single thread per device (as Electrum does for
hardware wallets): two commands never interleave on the wire, and the UI thread
never blocks on a device.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.devices.status import DeviceStatus

T = TypeVar("T")
StatusListener = Callable[["Device", DeviceStatus], None]
log = logging.getLogger(__name__)


class DeviceError(Exception):
    """A device command failed. ``code`` is stable and maps to a citizen message."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class Listeners:
    """Callbacks that subscribe and leave from any thread. Each call reaches
    every one subscribed at that moment, a broken one logged and the others
    still called: a listener's bug must not kill the device's thread."""

    def __init__(self, what: str, owner: str) -> None:
        self.what, self.owner = what, owner  # "status", "device-printer": for the log
        self._lock = threading.Lock()
        self._listeners: list[Callable[..., None]] = []

    def add(self, listener: Callable[..., None]) -> Callable[[], None]:
        """Subscribe ``listener``; returns what unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def call(self, *args: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(*args)
            except Exception:
                log.exception("%s listener failed for %s", self.what, self.owner)


class Device:
    """Base of every driver and simulator."""

    kind: str = "device"  # "card_reader", "camera", "printer"
    simulated: bool = False

    def __init__(self, name: str, initial: DeviceStatus) -> None:
        self.name = name
        self._status = initial
        self._lock = threading.Lock()
        self._status_listeners = Listeners("status", name)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"device-{name}")

    @property
    def status(self) -> DeviceStatus:
        return self._status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener(device, status)`` on every change, from any thread."""
        return self._status_listeners.add(listener)

    def _set_status(self, status: DeviceStatus) -> None:
        with self._lock:
            if status == self._status:
                return
            self._status = status
        log.info("device %s status %s %s", self.name, status.device.value, status.detail)
        self._status_listeners.call(self, status)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn`` on this device's worker thread."""
        return self._worker.submit(fn, *args)

    def open(self) -> None:
        """Connect to the hardware; status events report the outcome."""

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
