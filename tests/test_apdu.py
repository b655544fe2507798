"""APDUs, the virtual card and the chip read sequence, without pcscd.

The virtual card is the real card side (the simulator and ``kiosk card
emulate`` use it); the channel and read_chip are the real terminal side, the
same code the PC/SC reader runs.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.apdu import (
    ApduError,
    CardChannel,
    Command,
    Response,
)
from kiosk.devices.base import DeviceError
from kiosk.devices.chip_reader import read_chip
from kiosk.devices.virtual_card import CardPulled, VirtualCard, default_atr
from kiosk.identity.chip import AID, CHALLENGE_LENGTH, FILES, IDENTITY, PHOTO, ChipRead
from kiosk.identity.profile import CardProfile
from tests.card_helpers import make_profile, signature_verifies

PROTOCOLS = ["T=0", "T=1"]


class Wire:
    """A transmit that records every exchange with a virtual card."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.log: list[tuple[Command, Response]] = []

    def __call__(self, apdu: bytes) -> bytes:
        raw = self.card.process(apdu)
        self.log.append((Command.decode(apdu), Response.parse(raw)))
        return raw

    def sws(self, ins: int | None = None) -> list[int]:
        return [r.sw for c, r in self.log if ins is None or c.ins == ins]


def channel_to(profile: CardProfile) -> tuple[CardChannel, Wire]:
    wire = Wire(VirtualCard(profile))
    return CardChannel(wire, profile.protocol), wire


def read(profile: CardProfile, **kw: object) -> tuple[ChipRead, CardChannel, Wire]:
    channel, wire = channel_to(profile)
    return read_chip(channel, **kw), channel, wire  # type: ignore[arg-type]


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(("command", "encoded"), [
    (Command(0x00, 0xA4, 0x04, 0x0C), "00A4040C"),
    (Command(0x00, 0xB0, 0x81, 0x00, ne=256), "00B0810000"),
    (Command(0x00, 0xB0, 0x81, 0x00, ne=16), "00B0810010"),
    (Command(0x00, 0xB0, 0x81, 0x00, ne=65536), "00B08100000000"),
    (Command(0x00, 0xB0, 0x81, 0x00, ne=256, extended=True), "00B08100000100"),
    (Command(0x00, 0xA4, 0x04, 0x0C, b"\x01\x02"), "00A4040C020102"),
    (Command(0x00, 0xA4, 0x04, 0x0C, bytes(300)), "00A4040C00012C" + "00" * 300),
    (Command(0x00, 0x88, 0x00, 0x00, b"\xAA", ne=256), "0088000001AA00"),
    (Command(0x00, 0x88, 0x00, 0x00, b"\xAA", ne=65536), "00880000000001AA0000"),
    (Command(0x00, 0x88, 0x00, 0x00, b"\xAA", ne=257), "00880000000001AA0101"),
])
def test_encoding_of_every_case(command: Command, encoded: str) -> None:
    assert command.encode().hex().upper() == encoded
    decoded = Command.decode(bytes.fromhex(encoded))
    assert (decoded.cla, decoded.ins, decoded.p1, decoded.p2, decoded.data, decoded.ne) == (
        command.cla, command.ins, command.p1, command.p2, command.data, command.ne)
    assert decoded.is_extended == command.is_extended


@given(ins=st.integers(0, 255), p1=st.integers(0, 255), p2=st.integers(0, 255),
       data=st.binary(max_size=600), ne=st.none() | st.integers(1, 65536),
       extended=st.booleans())
def test_encoding_round_trips(ins: int, p1: int, p2: int, data: bytes, ne: int | None,
                              extended: bool) -> None:
    command = Command(0x00, ins, p1, p2, data, ne, extended)
    again = Command.decode(command.encode())
    assert (again.ins, again.p1, again.p2, again.data, again.ne) == (ins, p1, p2, data, ne)
    assert again.is_extended == command.is_extended
    assert again.encode() == command.encode()


@pytest.mark.parametrize("raw", ["00A404", "00A4040C0001", "00A4040C03AABB", "00A4040C000002AA",
                                 "00A4040C00000000"])
def test_malformed_commands_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        Command.decode(bytes.fromhex(raw))


def test_responses_need_a_status_word() -> None:
    assert Response.parse(b"\x01\x90\x00") == Response(b"\x01", 0x9000)
    with pytest.raises(DeviceError) as err:
        Response.parse(b"\x90")
    assert err.value.code == "unreadable"


def test_default_atrs() -> None:
    t1 = default_atr("T=1", True)
    check = 0
    for b in t1[1:]:
        check ^= b
    assert t1[0] == 0x3B and check == 0  # TCK makes the XOR of T0..TCK zero
    assert t1[2] == 0x01  # TD1: T=1
    assert b"MORESID" in t1
    t0 = default_atr("T=0", False)
    assert t0[0] == 0x3B and t0[1] & 0xF0 == 0  # no interface bytes: T=0, no TCK
    assert len(t0) == 2 + (t0[1] & 0x0F)
    assert t0.endswith(b"\x73\x80\x01\x00") and t1.endswith(b"\x40" + t1[-1:])


# --------------------------------------------------------------------------- status words


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("extended", [True, False])
def test_read_chip_returns_the_files_and_a_valid_signature(protocol: str, extended: bool) -> None:
    profile = make_profile(protocol=protocol, extended=extended)
    chip, channel, _wire = read(profile)
    assert chip.files == profile.files
    assert len(chip.challenge) == CHALLENGE_LENGTH
    assert signature_verifies(profile, chip.challenge, chip.response)
    assert chip.protocol == protocol
    assert chip.apdus == channel.apdus
    assert channel.extended is (extended and protocol == "T=1")


def test_extended_read_takes_six_apdus_and_ends_files_with_6282() -> None:
    chip, _channel, wire = read(make_profile())
    assert chip.apdus == 6 == len(wire.log)
    assert wire.sws(0xB0) == [0x6282] * 4
    assert [c.ins for c, _ in wire.log] == [0xA4, 0xB0, 0xB0, 0xB0, 0xB0, 0x88]


def test_challenges_are_fresh() -> None:
    profile = make_profile(photo_size=10)
    first, second = read(profile)[0], read(profile)[0]
    assert first.challenge != second.challenge
    assert signature_verifies(profile, second.challenge, second.response)


def test_t0_internal_authenticate_goes_through_61xx() -> None:
    _chip, _channel, wire = read(make_profile(protocol="T=0", photo_size=10))
    (ia, ia_answer), (get, get_answer) = wire.log[-2:]
    assert ia.ins == 0x88 and ia.ne is None and ia_answer.sw == 0x6140
    assert get.ins == 0xC0 and get.ne == 0x40 and get_answer.sw == 0x9000
    assert len(get_answer.data) == 64


def test_t0_short_read_of_a_tail_goes_through_6cxx() -> None:
    profile = make_profile(protocol="T=0", sizes={IDENTITY.name: 300}, photo_size=10)
    chip, _channel, wire = read(profile)
    reads = [(c, r) for c, r in wire.log if c.ins == 0xB0]
    # identity: 256 bytes, then 44 left (6C2C, asked again); photo: 10 bytes (6C0A)
    assert wire.sws(0xB0)[:5] == [0x9000, 0x6C2C, 0x9000, 0x6C0A, 0x9000]
    assert reads[2][0].ne == 0x2C and len(reads[2][1].data) == 44
    assert chip.files == profile.files


def test_t1_short_read_of_a_tail_ends_with_6282() -> None:
    profile = make_profile(extended=False, sizes={IDENTITY.name: 300}, photo_size=10)
    chip, _channel, wire = read(profile)
    assert wire.sws(0xB0)[:3] == [0x6700, 0x9000, 0x6282]  # probe refused, then short
    assert chip.files == profile.files


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_file_of_whole_chunks_ends_with_6b00(protocol: str) -> None:
    profile = make_profile(protocol=protocol, extended=False, sizes={IDENTITY.name: 512})
    chip, _channel, wire = read(profile, extended=False)
    assert wire.sws(0xB0)[:3] == [0x9000, 0x9000, 0x6B00]
    assert chip.files == profile.files


def test_probe_is_skipped_when_extended_is_known() -> None:
    profile = make_profile(extended=False)
    probed, channel, _ = read(profile)
    known, _, _ = read(profile, extended=channel.extended)
    assert known.apdus == probed.apdus - 1
    with pytest.raises(ApduError) as err:
        read(profile, extended=True)  # told wrong: the card's 6700 is an error
    assert err.value.sw == 0x6700


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_largest_photo_reads_in_short_mode_past_the_b0_offset_limit(protocol: str) -> None:
    profile = make_profile(protocol=protocol, extended=False, photo_size=PHOTO.max_size)
    chip, _channel, wire = read(profile, extended=False)
    assert chip.files == profile.files
    assert 0xB1 in {c.ins for c, _ in wire.log}  # offsets over 32767 need READ BINARY B1


@pytest.mark.parametrize("extended", [True, False])
def test_oversized_file_is_refused(extended: bool) -> None:
    profile = make_profile(extended=extended, sizes={IDENTITY.name: IDENTITY.max_size + 1})
    with pytest.raises(DeviceError) as err:
        read(profile)
    assert err.value.code == "unreadable"
    assert "identity" in str(err.value)


def test_missing_file_is_file_not_found() -> None:
    profile = make_profile()
    del profile.files["security"]
    with pytest.raises(ApduError) as err:
        read(profile)
    assert err.value.sw == 0x6A82 and err.value.code == "unreadable"


def test_card_errors() -> None:
    card = VirtualCard(make_profile(photo_size=10))
    assert card.process(bytes.fromhex("00B0810000"))[-2:] == b"\x69\x85"  # no application
    assert card.process(bytes.fromhex("0088000001AA00"))[-2:] == b"\x69\x85"
    assert card.process(bytes.fromhex("00A4040C03AABBCC"))[-2:] == b"\x6A\x82"  # unknown AID
    assert card.process(bytes.fromhex("0012000000"))[-2:] == b"\x6D\x00"
    assert card.process(bytes.fromhex("80A4040C00"))[-2:] == b"\x6E\x00"
    assert card.process(bytes.fromhex("00C0000010"))[-2:] == b"\x69\x85"  # nothing pending
    select = Command(0x00, 0xA4, 0x04, 0x0C, AID).encode()
    assert card.process(select) == b"\x90\x00"
    assert card.process(bytes.fromhex("00B09F0000"))[-2:] == b"\x6A\x82"  # SFI 31: no file
    assert card.process(bytes.fromhex("00B0000000"))[-2:] == b"\x69\x86"  # no current EF
    assert card.process(bytes.fromhex("00A4020C020101"))[-2:] == b"\x90\x00"  # by FID
    assert card.process(bytes.fromhex("00B0000005")) == card.profile.files["identity"][:5] + \
        b"\x90\x00"
    card.reset()  # power cycle: nothing selected any more
    assert card.process(bytes.fromhex("00B0000005"))[-2:] == b"\x69\x85"


def test_extended_apdus_on_a_short_only_card_are_wrong_length() -> None:
    card = VirtualCard(make_profile(extended=False))
    card.process(Command(0x00, 0xA4, 0x04, 0x0C, AID).encode())
    assert card.process(bytes.fromhex("00B08100000000")) == b"\x67\x00"


def test_fail_after_and_delay_hooks() -> None:
    card = VirtualCard(make_profile(photo_size=10), fail_after=2)
    with pytest.raises(DeviceError) as err:
        read_chip(CardChannel(card.process))
    assert err.value.code == "unreadable" and "6F00" in str(err.value)
    slow = VirtualCard(make_profile(photo_size=10), apdu_delay_s=30.0)
    slow.pull()  # a pulled card answers nothing, at once
    with pytest.raises(CardPulled):
        slow.process(Command(0x00, 0xA4, 0x04, 0x0C, AID).encode())


def test_t0_channel_refuses_extended_apdus() -> None:
    channel, _wire = channel_to(make_profile(protocol="T=0"))
    with pytest.raises(DeviceError) as err:
        channel.send(Command(0x00, 0xB0, 0x81, 0x00, ne=65536))
    assert err.value.code == "reader_error"


class Script:
    """A card that answers from a list, recording what it was sent."""

    def __init__(self, *answers: str) -> None:
        self.answers = [bytes.fromhex(a) for a in answers]
        self.sent: list[str] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        return self.answers.pop(0)


def test_get_response_chains_past_256_bytes() -> None:
    card = Script("6100", "AA" * 256 + "6110", "BB" * 16 + "9000")
    answer = CardChannel(card, "T=0").send(Command(0x00, 0xCA, 0x01, 0x02))
    assert answer.data == b"\xAA" * 256 + b"\xBB" * 16 and answer.sw == 0x9000
    assert card.sent == ["00CA0102", "00C0000000", "00C0000010"]


def test_6cxx_on_get_response_is_asked_again() -> None:
    card = Script("6140", "6C20", "CC" * 32 + "9000")
    answer = CardChannel(card, "T=0").send(Command(0x00, 0x88, 0x00, 0x00, b"\x01", ne=256))
    assert answer.data == b"\xCC" * 32
    assert card.sent == ["008800000101", "00C0000040", "00C0000020"]


def test_a_card_repeating_6cxx_is_refused() -> None:
    card = Script("6C10", "6C08")
    with pytest.raises(ApduError) as err:
        CardChannel(card).send(Command(0x00, 0xB0, 0x00, 0x00, ne=256))
    assert err.value.sw == 0x6C08


def test_more_data_than_le_is_refused() -> None:
    card = Script("00" * 20 + "9000")
    with pytest.raises(DeviceError) as err:
        CardChannel(card).send(Command(0x00, 0xB0, 0x00, 0x00, ne=16))
    assert err.value.code == "unreadable"


# --------------------------------------------------------------------------- hostile cards


def test_endless_61xx_ends_within_the_apdu_budget() -> None:
    sent: list[bytes] = []

    def endless(apdu: bytes) -> bytes:
        sent.append(apdu)
        return b"\x00" * 8 + b"\x61\x08"

    channel = CardChannel(endless, max_apdus=50)
    with pytest.raises(DeviceError) as err:
        read_chip(channel)
    assert err.value.code == "unreadable"
    assert len(sent) == 50


def test_a_card_sending_too_much_is_cut_off() -> None:
    def flood(apdu: bytes) -> bytes:
        return os.urandom(4000) + b"\x61\x00"

    with pytest.raises(DeviceError):
        read_chip(CardChannel(flood))


SWS = st.sampled_from([0x9000, 0x6282, 0x6B00, 0x6700, 0x6A82, 0x6985, 0x6F00, 0x6D00]) | \
    st.integers(0x6100, 0x61FF) | st.integers(0x6C00, 0x6CFF) | st.integers(0, 0xFFFF)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answers=st.lists(st.tuples(st.binary(max_size=300), SWS) | st.binary(max_size=8),
                        min_size=1, max_size=40),
       protocol=st.sampled_from(PROTOCOLS), extended=st.sampled_from([None, True, False]))
def test_hostile_card_raises_only_device_error_within_bounds(
        answers: list[tuple[bytes, int] | bytes], protocol: str, extended: bool | None) -> None:
    count = 0

    def hostile(apdu: bytes) -> bytes:
        nonlocal count
        answer = answers[count % len(answers)]
        count += 1
        if isinstance(answer, bytes):
            return answer  # raw garbage, possibly without a status word
        data, sw = answer
        return data + sw.to_bytes(2, "big")

    channel = CardChannel(hostile, protocol, max_apdus=200)
    try:
        chip = read_chip(channel, extended=extended)
    except DeviceError:
        pass
    else:
        assert all(len(chip.files[f.name]) <= f.max_size for f in FILES)
    assert count <= 200
    assert channel.bytes_received <= channel.max_bytes + 65538
