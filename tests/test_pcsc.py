"""The PC/SC reader against a real pcscd with the vpcd virtual reader.

The fixtures start pcscd (pcscd -f -c DIR, its own reader.conf.d naming a free
vpcd port) and put virtual cards in the reader over vpcd's socket protocol.
Every wait is on a status event or a future, with a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from kiosk.devices.base import DeviceError
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.pcscd_daemon import PcscdDaemon
from kiosk.devices.status import CardReaderStatus, DeviceState, Media
from kiosk.devices.virtual_card import VirtualCard
from kiosk.devices.vpcd import VpcdCard
from kiosk.identity.chip import ChipRead
from tests.card_helpers import (
    WAIT,
    StatusLog,
    is_ready,
    is_state,
    make_profile,
    signature_verifies,
)

pytest_plugins = ["tests.pcsc_fixtures"]

Insert = Callable[..., VpcdCard]


def read(reader: PcscCardReader) -> ChipRead:
    return reader.read_card().result(timeout=WAIT)


def read_error(reader: PcscCardReader) -> DeviceError:
    with pytest.raises(DeviceError) as err:
        read(reader)
    return err.value


@pytest.mark.parametrize("protocol", ["T=1", "T=0"])
@pytest.mark.parametrize("extended", [True, False], ids=["extended", "short"])
def test_genuine_card_reads_completely(pcsc_reader: PcscCardReader, insert_card: Insert,
                                       pcscd: PcscdDaemon, protocol: str,
                                       extended: bool) -> None:
    profile = make_profile(protocol=protocol, extended=extended)
    log = StatusLog(pcsc_reader)
    card = insert_card(profile)
    log.wait_for(is_ready(Media.PRESENT), "online with a card")
    chip = read(pcsc_reader)
    assert chip.files == profile.files
    assert signature_verifies(profile, chip.challenge, chip.response)
    assert chip.protocol == protocol
    assert chip.atr == card.card.atr
    assert chip.reader == pcscd.reader_name
    assert chip.apdus == card.card.apdus
    if extended and protocol == "T=1":
        assert chip.apdus == 6
    # The read went busy and came back online with the card still in.
    assert log.seen(lambda s: s.device is DeviceState.BUSY)
    assert pcsc_reader.status == CardReaderStatus(DeviceState.ONLINE, media=Media.PRESENT)


def test_status_follows_insert_and_remove(pcsc_reader: PcscCardReader,
                                          insert_card: Insert) -> None:
    log = StatusLog(pcsc_reader)
    card = insert_card(make_profile(photo_size=100))
    log.wait_for(is_ready(Media.PRESENT), "card present")
    card.remove()
    log.wait_for(is_ready(Media.ABSENT), "card absent")
    assert [s.media for s in log.history if isinstance(s, CardReaderStatus)] == [
        Media.PRESENT, Media.ABSENT]


def test_read_without_a_card_fails_no_card(pcsc_reader: PcscCardReader) -> None:
    assert read_error(pcsc_reader).code == "no_card"


def test_extended_support_is_remembered_per_card_type(pcsc_reader: PcscCardReader,
                                                      insert_card: Insert) -> None:
    log = StatusLog(pcsc_reader)
    insert_card(make_profile(extended=False, photo_size=2000))
    log.wait_for(is_ready(Media.PRESENT), "card present")
    first, second = read(pcsc_reader), read(pcsc_reader)
    assert second.apdus == first.apdus - 1  # no second probe for this ATR
    assert second.files == first.files


def test_card_pulled_mid_read_fails_card_removed_and_recovers(
        pcsc_reader: PcscCardReader, insert_card: Insert) -> None:
    profile = make_profile(photo_size=500)
    slow = VirtualCard(profile, apdu_delay_s=0.5)
    log = StatusLog(pcsc_reader)
    card = insert_card(slow)
    log.wait_for(is_ready(Media.PRESENT), "card present")
    future = pcsc_reader.read_card()
    assert slow.wait_apdus(2, WAIT)  # SELECT done, a READ BINARY in the card
    card.remove()
    with pytest.raises(DeviceError) as err:
        future.result(timeout=WAIT)
    assert err.value.code == "card_removed"
    log.wait_for(is_ready(Media.ABSENT), "online, card gone")
    insert_card(profile)
    log.wait_for(is_ready(Media.PRESENT), "card back")
    assert read(pcsc_reader).files == profile.files


def test_pcscd_restart_is_ridden_through(pcsc_reader: PcscCardReader, insert_card: Insert,
                                         live_pcscd: PcscdDaemon) -> None:
    profile = make_profile(photo_size=5000)
    log = StatusLog(pcsc_reader)
    insert_card(profile)
    log.wait_for(is_ready(Media.PRESENT), "card present")
    live_pcscd.stop()
    log.wait_for(is_state(DeviceState.OFFLINE, "pcscd_down"), "offline (pcscd_down)")
    assert not pcsc_reader.status.usable
    assert read_error(pcsc_reader).code == "reader_error"
    live_pcscd.start(timeout=WAIT)
    # The same reader object and the same card (it reconnects to the new vpcd).
    log.wait_for(is_ready(Media.PRESENT), "online again with the card")
    assert read(pcsc_reader).files == profile.files


def test_vanished_reader_is_no_device_until_it_returns(
        pcsc_reader: PcscCardReader, insert_card: Insert, live_pcscd: PcscdDaemon) -> None:
    profile = make_profile(photo_size=1000, protocol="T=0")
    log = StatusLog(pcsc_reader)
    insert_card(profile)
    log.wait_for(is_ready(Media.PRESENT), "card present")
    live_pcscd.restart(with_reader=False, timeout=WAIT)
    status = log.wait_for(is_state(DeviceState.NO_DEVICE, "no_reader"), "noDevice (no_reader)")
    assert status.reason == "noDevice"
    err = read_error(pcsc_reader)
    assert (err.code, str(err)) == ("reader_error", "reader_error: no_reader")
    live_pcscd.restart(with_reader=True, timeout=WAIT)
    log.wait_for(is_ready(Media.PRESENT), "online again with the card")
    assert read(pcsc_reader).files == profile.files


def test_reader_started_while_pcscd_is_down_comes_online(live_pcscd: PcscdDaemon) -> None:
    live_pcscd.stop()
    reader = PcscCardReader(reader=live_pcscd.friendly_name, poll_s=0.2, retry_min_s=0.05,
                            retry_max_s=0.3)
    log = StatusLog(reader)
    reader.open()
    try:
        log.wait_for(is_state(DeviceState.OFFLINE, "pcscd_down"), "offline (pcscd_down)")
        live_pcscd.start(timeout=WAIT)
        log.wait_for(is_ready(Media.ABSENT), "online without a card")
    finally:
        reader.close()


def test_no_matching_reader_is_no_device(live_pcscd: PcscdDaemon) -> None:
    reader = PcscCardReader(reader="No Such Reader", poll_s=0.2)
    log = StatusLog(reader)
    reader.open()
    try:
        log.wait_for(is_state(DeviceState.NO_DEVICE, "no_reader"), "noDevice (no_reader)")
    finally:
        reader.close()


def test_close_is_prompt(live_pcscd: PcscdDaemon) -> None:
    reader = PcscCardReader(reader=live_pcscd.friendly_name, poll_s=5.0)
    log = StatusLog(reader)
    reader.open()
    log.wait_for(is_ready(Media.ABSENT), "online without a card")
    start = time.monotonic()
    reader.close()  # SCardCancel wakes the 5 s wait at once
    assert time.monotonic() - start < 1.0
