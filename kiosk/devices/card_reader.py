"""The card reader interface and its simulator.

A reader reports insertion and removal through its status (``media``), and
reads a card's chip on its worker thread into a ``ChipRead`` for
``kiosk.identity`` to verify. The PC/SC driver (``kiosk.devices.pcsc``) and
the simulator plug into the same seam, and both read through the same APDU
sequence (``kiosk.devices.chip_reader``): the simulator's card is a
``VirtualCard`` answering those APDUs.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from kiosk.devices.apdu import CardChannel
from kiosk.devices.base import Device, DeviceError
from kiosk.devices.chip_reader import read_chip
from kiosk.devices.status import CardReaderStatus, DeviceState, Media
from kiosk.devices.virtual_card import CardPulled, VirtualCard
from kiosk.identity.chip import ChipRead
from kiosk.identity.profile import CardProfile

SIMULATED_READER = "Simulated card reader"
# A chip's files by ChipFile.name. (kiosk.app still builds demo cards this way
# until it moves to card profiles.)


class CardReader(Device):
    kind = "card_reader"

    def read_card(self) -> Future[ChipRead]:
        """Read the inserted card's chip. Fails with ``DeviceError`` codes:
        ``no_card``, ``card_removed`` (pulled mid-read), ``unreadable``, ``reader_error``."""
        raise NotImplementedError


class SimulatedCardReader(CardReader):
    """A reader with a tray of card profiles; a test or the demo inserts and removes them.

    It can be told to fail: the next read fails with a given code, or the
    reader goes offline. ``read_delay_s`` is the time a real chip takes, spent
    once before the APDUs; pulling the card ends it at once.
    """

    simulated = True

    def __init__(self, cards: dict[str, CardProfile], *, read_delay_s: float = 0.8,
                 name: str = "card_reader") -> None:
        super().__init__(name, CardReaderStatus(DeviceState.ONLINE, media=Media.ABSENT))
        self._cards = dict(cards)
        self._inserted: str | None = None
        self._chip: VirtualCard | None = None
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

    def add_card(self, card_key: str, profile: CardProfile) -> None:
        """Put another card in the simulator's tray (a test's forged card, say)."""
        self._cards[card_key] = profile

    def insert(self, card_key: str) -> None:
        if card_key not in self._cards:
            raise KeyError(f"no simulated card {card_key!r}")
        if self._inserted != card_key or self._chip is None:
            # A card going in is powered afresh: nothing selected yet.
            self._chip = VirtualCard(self._cards[card_key])
        self._inserted = card_key
        self._removed.clear()
        self._set_status(CardReaderStatus(self.status.device, media=Media.PRESENT))

    def remove(self) -> None:
        self._inserted = None
        self._removed.set()
        if self._chip is not None:
            self._chip.pull()
        self._chip = None
        self._set_status(CardReaderStatus(self.status.device, media=Media.ABSENT))

    def fail_next_read(self, code: str) -> None:
        """The next read fails with ``code`` (e.g. "unreadable", "reader_error")."""
        self._fail_next = code

    def set_device_state(self, state: DeviceState, detail: str = "") -> None:
        media = self.status.media if isinstance(self.status, CardReaderStatus) else Media.UNKNOWN
        self._set_status(CardReaderStatus(state, detail, media=media))

    def read_card(self) -> Future[ChipRead]:
        return self.submit(self._read)

    def _read(self) -> ChipRead:
        if not self.status.usable:
            raise DeviceError("reader_error", self.status.device.value)
        key, chip = self._inserted, self._chip
        if key is None or chip is None:
            raise DeviceError("no_card")
        self._set_status(CardReaderStatus(DeviceState.BUSY, media=Media.PRESENT))
        try:
            # The time a real chip takes; wakes early if the card is pulled.
            if self._removed.wait(self.read_delay_s) or self._inserted != key:
                raise DeviceError("card_removed")
            failure, self._fail_next = self._fail_next, None
            if failure:
                raise DeviceError(failure)

            def transmit(apdu: bytes) -> bytes:
                if self._removed.is_set():
                    raise DeviceError("card_removed")
                try:
                    return chip.process(apdu)
                except CardPulled:
                    raise DeviceError("card_removed") from None

            return read_chip(CardChannel(transmit, chip.profile.protocol), atr=chip.atr,
                             reader=SIMULATED_READER)
        finally:
            media = Media.PRESENT if self._inserted else Media.ABSENT
            now = self.status
            # Back online from BUSY, but a reader set offline mid-read stays offline.
            if now.device is DeviceState.BUSY:
                self._set_status(CardReaderStatus(DeviceState.ONLINE, media=media))
            else:
                self._set_status(CardReaderStatus(now.device, now.detail, media=media))
