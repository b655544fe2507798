"""Watching PC/SC readers: which reader is ours, is pcscd there, is a card in.

pyscard's CardMonitor / ReaderMonitor threads die for good when pcscd restarts
or a reader vanishes (pyscard issues #82, #128), and a kiosk must ride through
both without a restart. So one thread of our own owns a PC/SC context and
blocks in SCardGetStatusChange with a bounded timeout, watching the chosen
reader and the PnP pseudo-reader (hotplug). On a service error it drops the
context and establishes a new one with backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from smartcard import scard

from kiosk.devices.status import Media

PNP_NOTIFICATION: Final = "\\\\?PnP?\\Notification"
READER_GONE: Final = frozenset({scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE})
log = logging.getLogger(__name__)
# on_change(service=..., reader=..., media=...): any subset, as they change.
# service is "up" or "down"; reader the chosen reader's name or None.
OnChange = Callable[..., None]


class ReaderMonitor:
    """Follows the first reader whose name contains ``reader_filter`` (any if
    empty) and reports through ``on_change``; ``stop()`` is prompt."""

    def __init__(self, reader_filter: str, on_change: OnChange, *, poll_s: float = 0.5,
                 retry_min_s: float = 0.1, retry_max_s: float = 2.0, name: str = "pcsc") -> None:
        self.reader_filter = reader_filter
        self.poll_s = poll_s
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self._update = on_change
        self._stop = threading.Event()
        self._ctx_lock = threading.Lock()
        self._ctx: int | None = None
        self._thread = threading.Thread(target=self._run, name=f"pcsc-monitor-{name}",
                                        daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + self.poll_s + 5.0
        while self._thread.is_alive() and time.monotonic() < deadline:
            # SCardCancel wakes a blocked SCardGetStatusChange at once, but one
            # the monitor enters just after it is not cancelled: repeat.
            with self._ctx_lock:
                ctx = self._ctx
            if ctx is not None:
                scard.SCardCancel(ctx)
            self._thread.join(0.05)

    def _run(self) -> None:
        backoff = self.retry_min_s
        while not self._stop.is_set():
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr == scard.SCARD_S_SUCCESS:
                with self._ctx_lock:
                    self._ctx = ctx
                try:
                    if self._watch(ctx):
                        backoff = self.retry_min_s
                except Exception:  # the monitor must outlive any surprise
                    log.exception("card reader monitor failed; reconnecting")
                finally:
                    with self._ctx_lock:
                        self._ctx = None
                    scard.SCardReleaseContext(ctx)
            if self._stop.is_set():
                return
            self._update(service="down", reader=None, media=Media.UNKNOWN)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.retry_max_s)

    def _watch(self, ctx: int) -> bool:
        """Follow the reader until the context fails; True if it worked for a while."""
        worked = False
        pnp: int | None = scard.SCARD_STATE_UNAWARE  # None: pcscd has no PnP notification
        reader: str | None = None
        state = scard.SCARD_STATE_UNAWARE
        relist = True
        while not self._stop.is_set():
            if relist:
                hr, names = scard.SCardListReaders(ctx, [])
                if hr == scard.SCARD_E_NO_READERS_AVAILABLE:
                    names = []
                elif hr != scard.SCARD_S_SUCCESS:
                    return worked
                chosen = self._choose(list(names))
                if chosen != reader:
                    reader, state = chosen, scard.SCARD_STATE_UNAWARE
                    log.info("card reader %r chosen", reader)
                    self._update(service="up", reader=reader, media=Media.UNKNOWN)
                else:
                    self._update(service="up")
                relist = False
            watched = [] if pnp is None else [(PNP_NOTIFICATION, pnp)]
            if reader is not None:
                watched.append((reader, state))
            if not watched:
                # Nothing to wait on (no PnP, no reader): look again later.
                relist = not self._stop.wait(self.poll_s)
                continue
            hr, events = scard.SCardGetStatusChange(ctx, int(self.poll_s * 1000), watched)
            if hr == scard.SCARD_E_TIMEOUT:
                relist = pnp is None and reader is None
                continue
            if hr in READER_GONE or hr == scard.SCARD_E_NO_READERS_AVAILABLE:
                relist = True
                continue
            if hr != scard.SCARD_S_SUCCESS:
                # Cancelled by close(), or pcscd is gone: drop the context.
                return worked
            worked = True
            for name, event, _atr in events:
                if name == PNP_NOTIFICATION:
                    if event & scard.SCARD_STATE_UNKNOWN:
                        pnp, relist = None, True
                    else:
                        relist = relist or bool(event & scard.SCARD_STATE_CHANGED)
                        pnp = event & ~scard.SCARD_STATE_CHANGED
                    continue
                state = event & ~scard.SCARD_STATE_CHANGED
                if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE
                            | scard.SCARD_STATE_IGNORE):
                    relist = True  # the reader left
                elif event & scard.SCARD_STATE_PRESENT:
                    self._update(media=Media.PRESENT)
                elif event & scard.SCARD_STATE_EMPTY:
                    self._update(media=Media.ABSENT)
        return worked

    def _choose(self, names: list[str]) -> str | None:
        wanted = self.reader_filter.casefold()
        for name in names:
            if name != PNP_NOTIFICATION and wanted in name.casefold():
                return name
        return None
