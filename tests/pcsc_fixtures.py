"""The PC/SC test rig: a private pcscd with the vpcd virtual reader, an open
PcscCardReader on it, and virtual cards to put in it.

Test modules load it with ``pytest_plugins = ["tests.pcsc_fixtures"]`` (it is
not imported otherwise, so pytest rewrites its asserts). Nothing here skips
for a missing service: the fixtures start pcscd (stopping one already
running, which needs root) and the cards themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.pcscd_daemon import FRIENDLY_NAME, PcscdDaemon
from kiosk.devices.status import Media
from kiosk.devices.virtual_card import VirtualCard
from kiosk.devices.vpcd import VpcdCard
from kiosk.identity.profile import CardProfile
from tests.card_helpers import WAIT, StatusLog, is_ready

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdDaemon]:
    """A private pcscd with the vpcd reader, for the whole session."""
    daemon = PcscdDaemon(tmp_path_factory.mktemp("pcscd"))
    daemon.start(timeout=WAIT)
    if daemon.displaced:
        print(f"note: stopped a running pcscd {daemon.displaced}; restarted at the end")
    try:
        yield daemon
    finally:
        daemon.close()


@pytest.fixture
def live_pcscd(pcscd: PcscdDaemon) -> PcscdDaemon:
    """The session's pcscd, running with its reader (a test may have stopped it)."""
    if not pcscd.running or pcscd.reader_name not in pcscd.readers():
        pcscd.restart(with_reader=True, timeout=WAIT)
    return pcscd


@pytest.fixture
def pcsc_reader(live_pcscd: PcscdDaemon) -> Iterator[PcscCardReader]:
    """An open PcscCardReader on the virtual reader, online with no card."""
    reader = PcscCardReader(reader=FRIENDLY_NAME, poll_s=0.2, retry_min_s=0.05,
                            retry_max_s=0.3)
    log = StatusLog(reader)
    reader.open()
    try:
        log.wait_for(is_ready(Media.ABSENT), "online without a card")
        yield reader
    finally:
        reader.close()


@pytest.fixture
def insert_card(live_pcscd: PcscdDaemon) -> Iterator[Callable[..., VpcdCard]]:
    """``insert_card(profile_or_virtual_card)``: the card goes into the virtual
    reader (it is pulled at the end of the test)."""
    cards: list[VpcdCard] = []

    def insert(card: CardProfile | VirtualCard) -> VpcdCard:
        vpcd = VpcdCard(card, port=live_pcscd.port, retry_max_s=0.1)
        vpcd.insert(timeout=WAIT)
        cards.append(vpcd)
        return vpcd

    try:
        yield insert
    finally:
        for card in cards:
            card.remove()
