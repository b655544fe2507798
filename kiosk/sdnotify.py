"""systemd's service notification protocol (sd_notify), in the standard library.

The kiosk runs as a ``Type=notify`` service with a watchdog (packaging/systemd/
kiosk.service): it says READY=1 once its window shows, pings WATCHDOG=1 from the
UI thread (so a frozen UI stops the pings and systemd restarts the kiosk) and
says STOPPING=1 on the way out. Outside systemd ($NOTIFY_SOCKET unset) every
call is a no-op that returns False.

A leaf module: it imports nothing of the kiosk and no Qt, so any layer may use it.
"""

from __future__ import annotations

import os
import socket

__all__ = [
    "notify",
    "notify_ready",
    "notify_status",
    "notify_stopping",
    "notify_watchdog",
    "watchdog_interval",
]


def _address(raw: str) -> str | bytes | None:
    if not raw:
        return None
    if raw.startswith("@"):
        # Abstract namespace: a leading NUL byte instead of '@' (sd_notify(3)).
        return b"\0" + raw[1:].encode()
    if raw.startswith("/"):
        return raw
    return None  # vsock and other address families: not used by a kiosk


def notify(state: str) -> bool:
    """Send ``state`` (e.g. "READY=1\\nSTATUS=up") to systemd.

    True if it was sent; False when not run by systemd or the socket refused it
    (a notification is never worth crashing the kiosk for).
    """
    address = _address(os.environ.get("NOTIFY_SOCKET", ""))
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        return False
    return True


def notify_ready(status: str | None = None) -> bool:
    """The service is up (for the kiosk: its window shows)."""
    return notify("READY=1" + (f"\nSTATUS={_line(status)}" if status else ""))


def notify_watchdog() -> bool:
    """The service is alive; call at least every :func:`watchdog_interval` seconds."""
    return notify("WATCHDOG=1")


def notify_stopping(status: str | None = None) -> bool:
    """The service is shutting down on purpose."""
    return notify("STOPPING=1" + (f"\nSTATUS={_line(status)}" if status else ""))


def notify_status(status: str) -> bool:
    """A one-line status shown by ``systemctl status kiosk``."""
    return notify(f"STATUS={_line(status)}")


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings: half of systemd's WatchdogSec, or None.

    None when no watchdog is asked for (WATCHDOG_USEC unset, zero or malformed)
    or when WATCHDOG_PID names another process (the watchdog is that process's,
    as in sd_watchdog_enabled(3)).
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    try:
        value = int(usec)
    except ValueError:
        return None
    if value <= 0:
        return None
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            return None
    return value / 2 / 1_000_000


def _line(text: str) -> str:
    return " ".join(text.split())
