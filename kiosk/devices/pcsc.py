"""The PC/SC card reader, on pyscard's low-level ``smartcard.scard`` API.

A ``ReaderMonitor`` thread (``pcsc_monitor``) follows pcscd, the reader and
the card, and this class turns what it reports into one status: ``offline``
/ "pcscd_down" while pcscd is away, ``noDevice`` / "no_reader" without a
matching reader, else ``online`` (``busy`` while reading) with the card's
presence as ``media``. It reconnects by itself: no app restart.

Reads run on the device worker thread with a context of their own: a context
blocked in SCardGetStatusChange cannot be used by another thread meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import Final

from smartcard import scard

from kiosk.devices.apdu import CardChannel
from kiosk.devices.base import DeviceError
from kiosk.devices.card_reader import CardReader
from kiosk.devices.chip_reader import read_chip
from kiosk.devices.pcsc_monitor import READER_GONE, ReaderMonitor
from kiosk.devices.status import CardReaderStatus, DeviceState, Media
from kiosk.identity.chip import ChipRead

SERVICE_ERRORS: Final = frozenset({
    scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_COMM_ERROR,
})
CARD_GONE: Final = frozenset({
    scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD,
    scard.SCARD_E_NOT_TRANSACTED,
})
CARD_MUTE: Final = frozenset({
    scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNSUPPORTED_CARD, scard.SCARD_E_PROTO_MISMATCH,
    scard.SCARD_E_CARD_UNSUPPORTED,
})
# How long a read waits for pcscd's presence poll (400 ms for vpcd) to tell a
# pulled card from a mute one.
REMOVAL_WAIT_S: Final = 1.5
# Card types whose extended-length support is remembered (a kiosk sees few).
MAX_REMEMBERED_ATRS: Final = 32
log = logging.getLogger(__name__)


def _hex(hr: int) -> str:
    return f"{hr & 0xFFFFFFFF:08X}"


class PcscCardReader(CardReader):
    """A PC/SC reader chosen by name: the first whose name contains ``reader``
    (any reader if empty). Options: ``poll_s`` bounds each wait for a status
    change (and so ``close()``); reconnection to pcscd backs off from
    ``retry_min_s`` to ``retry_max_s``; ``extended`` forces or forbids
    extended-length APDUs (None: try once per card type, remembered by ATR).
    """

    def __init__(self, name: str = "card_reader", *, reader: str = "", poll_s: float = 0.5,
                 retry_min_s: float = 0.1, retry_max_s: float = 2.0,
                 extended: bool | None = None) -> None:
        super().__init__(name, CardReaderStatus(DeviceState.STARTING, media=Media.UNKNOWN))
        self.reader_filter = reader
        self.extended = extended
        self._monitor = ReaderMonitor(reader, self._update, poll_s=poll_s,
                                      retry_min_s=retry_min_s, retry_max_s=retry_max_s,
                                      name=name)
        self._state_lock = threading.RLock()
        self._service: str = "starting"  # "up" or "down" once known
        self._reader: str | None = None
        self._media = Media.UNKNOWN
        self._busy = False
        self._worker_ctx: int | None = None  # touched on the worker thread only
        self._extended_by_atr: dict[bytes, bool] = {}

    @property
    def reader_name(self) -> str | None:
        return self._reader

    # ----------------------------------------------------------------- status

    def _update(self, **fields: object) -> None:
        # One lock around compose-and-publish, so two threads never publish
        # their views out of order.
        with self._state_lock:
            for key, value in fields.items():
                setattr(self, f"_{key}", value)
            if self._service == "starting":
                status = CardReaderStatus(DeviceState.STARTING, media=Media.UNKNOWN)
            elif self._service != "up":
                status = CardReaderStatus(DeviceState.OFFLINE, "pcscd_down", media=Media.UNKNOWN)
            elif self._reader is None:
                status = CardReaderStatus(DeviceState.NO_DEVICE, "no_reader", media=Media.UNKNOWN)
            elif self._busy:
                status = CardReaderStatus(DeviceState.BUSY, media=self._media)
            else:
                status = CardReaderStatus(DeviceState.ONLINE, media=self._media)
            self._set_status(status)

    # ----------------------------------------------------------------- life cycle

    def open(self) -> None:
        self._monitor.start()

    def close(self) -> None:
        self._monitor.stop()
        super().close()
        if self._worker_ctx is not None:
            scard.SCardReleaseContext(self._worker_ctx)
            self._worker_ctx = None

    # ----------------------------------------------------------------- reading

    def read_card(self) -> Future[ChipRead]:
        """Read the inserted card on the worker thread. Fails only with
        ``DeviceError``: no_card, card_removed, unreadable, reader_error."""
        return self.submit(self._read_guarded)

    def _read_guarded(self) -> ChipRead:
        try:
            try:
                return self._read()
            except DeviceError as e:
                # One exchange failing in the reader (a communication error, seen
                # under load with vpcd and on worn contacts) is worth one more
                # whole read while the card is still there; anything else is not.
                if e.code != "reader_error" or e.detail in ("pcscd_down", "no_reader",
                                                           "in_use"):
                    raise
                reader = self._reader
                if reader is None or self._card_left(reader, 0.0):
                    raise
                log.info("card read failed in the reader (%s); reading once more", e.detail)
                return self._read()
        except DeviceError:
            raise
        except Exception as e:  # nothing else may reach the journey
            log.exception("card read failed unexpectedly")
            raise DeviceError("unreadable", type(e).__name__) from None

    def _context(self) -> int:
        if self._worker_ctx is None:
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr != scard.SCARD_S_SUCCESS:
                raise DeviceError("reader_error", "pcscd_down")
            self._worker_ctx = ctx
        return self._worker_ctx

    def _fail(self, hr: int, *, connecting: bool = False) -> DeviceError:
        if hr in SERVICE_ERRORS:
            if self._worker_ctx is not None:
                scard.SCardReleaseContext(self._worker_ctx)
            self._worker_ctx = None  # the next read starts a fresh one
            return DeviceError("reader_error", "pcscd_down")
        if hr in CARD_GONE:
            return DeviceError("no_card" if connecting else "card_removed", _hex(hr))
        if hr in READER_GONE:
            return DeviceError("reader_error", "no_reader")
        if hr in CARD_MUTE:
            return DeviceError("unreadable", _hex(hr))
        if hr == scard.SCARD_E_SHARING_VIOLATION:
            return DeviceError("reader_error", "in_use")
        return DeviceError("reader_error", _hex(hr))

    def _read(self) -> ChipRead:
        reader = self._reader
        if self._service != "up" or reader is None:
            raise DeviceError("reader_error", self.status.detail or self.status.device.value)
        for attempt in (1, 2):
            hr, hcard, active = scard.SCardConnect(
                self._context(), reader, scard.SCARD_SHARE_EXCLUSIVE,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            if hr == scard.SCARD_S_SUCCESS:
                break
            error = self._fail(hr, connecting=True)
            # Our context may predate a pcscd restart the monitor already rode
            # through: one more try on a fresh context.
            if attempt == 2 or hr not in SERVICE_ERRORS:
                raise error
        self._update(busy=True)
        try:
            # SCARD_SHARE_EXCLUSIVE already keeps every other application off the
            # card for the whole read; a transaction on top would only add two
            # round trips to pcscd (measured: benchmarks/card_read.py).
            return self._read_connected(hcard, active, reader)
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
            self._update(busy=False)

    def _read_connected(self, hcard: int, active: int, reader: str) -> ChipRead:
        hr, _name, _state, _proto, atr_list = scard.SCardStatus(hcard)
        if hr != scard.SCARD_S_SUCCESS:
            raise self._fail(hr)
        atr = bytes(atr_list)
        t0 = active == scard.SCARD_PROTOCOL_T0
        pci = scard.SCARD_PCI_T0 if t0 else scard.SCARD_PCI_T1

        def transmit(apdu: bytes) -> bytes:
            hr, response = scard.SCardTransmit(hcard, pci, list(apdu))
            if hr == scard.SCARD_S_SUCCESS and len(response) >= 2:
                return bytes(response)
            if hr == scard.SCARD_S_SUCCESS:
                # No status word: vpcd reports a card that left mid-APDU this way
                # (success, zero bytes). Removal shows on pcscd's next presence poll.
                gone = self._card_left(reader, REMOVAL_WAIT_S)
                raise DeviceError("card_removed" if gone else "unreadable", "empty response")
            if hr == scard.SCARD_E_NOT_TRANSACTED and channel.extended is None \
                    and not self._card_left(reader, 0.0):
                # The extended-length probe failed in the reader, not the card:
                # let read_chip fall back to short APDUs.
                raise DeviceError("reader_error", "transmit failed")
            raise self._fail(hr)

        channel = CardChannel(transmit, "T=0" if t0 else "T=1")
        known = self._extended_by_atr.get(atr, self.extended)
        chip = read_chip(channel, extended=known, atr=atr, reader=reader)
        if channel.extended is not None:  # only a read that worked teaches us
            if len(self._extended_by_atr) >= MAX_REMEMBERED_ATRS:
                self._extended_by_atr.pop(next(iter(self._extended_by_atr)))
            self._extended_by_atr[atr] = channel.extended
        return chip

    def _card_left(self, reader: str, wait_s: float) -> bool:
        """Has the card left ``reader`` (waiting up to ``wait_s`` for pcscd to see it)?"""
        ctx = self._worker_ctx
        if ctx is None:
            return True
        state = scard.SCARD_STATE_UNAWARE  # the first call answers the current state at once
        deadline = time.monotonic() + wait_s
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hr, states = scard.SCardGetStatusChange(ctx, remaining_ms, [(reader, state)])
            if hr == scard.SCARD_E_TIMEOUT:
                return False
            if hr != scard.SCARD_S_SUCCESS:
                return True  # the reader or pcscd went too: the card is not readable here
            event = states[0][1]
            if not event & scard.SCARD_STATE_PRESENT:
                return True
            state = event & ~scard.SCARD_STATE_CHANGED
