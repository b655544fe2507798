"""The card reader interface and its simulator.

A reader reports insertion and removal through its status (``media``), and
reads a card's files on its worker thread. The PC/SC driver (pyscard) and the
simulator plug into the same seam.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from kiosk.devices.base import Device, DeviceError
from kiosk.devices.status import CardReaderStatus, DeviceState, Media

CardFiles = dict[str, bytes]


class CardReader(Device):
    kind = "card_reader"

    def read_card(self) -> Future[CardFiles]:
        """Read the inserted card's files. Fails with ``DeviceError`` codes:
        ``no_card``, ``card_removed`` (pulled mid-read), ``unreadable``, ``reader_error``."""
        raise NotImplementedError


class SimulatedCardReader(CardReader):
    """A reader with a tray of demo cards; a test or the demo inserts and removes them.

    It can be told to fail: the next read fails with a given code, or the
    reader goes offline.
    """

    simulated = True

    def __init__(self, cards: dict[str, CardFiles], *, read_delay_s: float = 0.8,
                 name: str = "card_reader") -> None:
        super().__init__(name, CardReaderStatus(DeviceState.ONLINE, media=Media.ABSENT))
        self._cards = dict(cards)
        self._inserted: str | None = None
        self.read_delay_s = read_delay_s
        self._fail_next: str | None = None
        # Set on removal so a read in progress notices the card was pulled.
        self._removed = threading.Event()

    @property
    def card_keys(self) -> list[str]:
        return list(self._cards)

    @property
    def inserted(self) -> str | None:
        return self._inserted

    def insert(self, card_key: str) -> None:
        if card_key not in self._cards:
            raise KeyError(f"no simulated card {card_key!r}")
        self._inserted = card_key
        self._removed.clear()
        self._set_status(CardReaderStatus(self.status.device, media=Media.PRESENT))

    def remove(self) -> None:
        self._inserted = None
        self._removed.set()
        self._set_status(CardReaderStatus(self.status.device, media=Media.ABSENT))

    def fail_next_read(self, code: str) -> None:
        """The next read fails with ``code`` (e.g. "unreadable", "reader_error")."""
        self._fail_next = code

    def set_device_state(self, state: DeviceState, detail: str = "") -> None:
        media = self.status.media if isinstance(self.status, CardReaderStatus) else Media.UNKNOWN
        self._set_status(CardReaderStatus(state, detail, media=media))

    def read_card(self) -> Future[CardFiles]:
        return self.submit(self._read)

    def _read(self) -> CardFiles:
        if not self.status.usable:
            raise DeviceError("reader_error", self.status.device.value)
        key = self._inserted
        if key is None:
            raise DeviceError("no_card")
        self._set_status(CardReaderStatus(DeviceState.BUSY, media=Media.PRESENT))
        try:
            # The time a real chip takes; wakes early if the card is pulled.
            if self._removed.wait(self.read_delay_s) or self._inserted != key:
                raise DeviceError("card_removed")
            failure, self._fail_next = self._fail_next, None
            if failure:
                raise DeviceError(failure)
            return {name: bytes(data) for name, data in self._cards[key].items()}
        finally:
            media = Media.PRESENT if self._inserted else Media.ABSENT
            now = self.status
            # Back online from BUSY, but a reader set offline mid-read stays offline.
            if now.device is DeviceState.BUSY:
                self._set_status(CardReaderStatus(DeviceState.ONLINE, media=media))
            else:
                self._set_status(CardReaderStatus(now.device, now.detail, media=media))
