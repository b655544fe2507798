"""The strict BER-TLV codec: one encoding per value, and TlvError for everything else."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.identity import tlv
from kiosk.identity.tlv import Tlv, TlvError, decode, decode_single, encode, expect_single, find


def test_primitive_round_trip() -> None:
    raw = encode(0x80, b"C0000001")
    assert raw == b"\x80\x08C0000001"
    [item] = decode(raw)
    assert item == Tlv(0x80, b"C0000001")
    assert not item.constructed
    assert item.encoded == raw


def test_constructed_round_trip() -> None:
    raw = encode(0x61, [encode(0x80, b"a"), encode(0x81, b""), Tlv(0x82, b"xyz")])
    assert raw == bytes.fromhex("610a") + b"\x80\x01a\x81\x00\x82\x03xyz"
    [item] = decode(raw)
    assert item.constructed
    assert [c.tag for c in item.children] == [0x80, 0x81, 0x82]
    assert item.children[1].value == b""
    assert item.encoded == raw
    assert decode(encode(0x61, [])) == [Tlv(0x61, b"", ())]


@pytest.mark.parametrize(("tag", "head"), [
    (0x5F2E, b"\x5f\x2e"), (0x5F1F, b"\x5f\x1f"), (0xDF21, b"\xdf\x21"),
    (0x5F8101, b"\x5f\x81\x01"), (0x9F7F, b"\x9f\x7f"), (0x1E, b"\x1e"),
])
def test_multi_byte_tags(tag: int, head: bytes) -> None:
    raw = encode(tag, b"v")
    assert raw == head + b"\x01v"
    assert decode(raw)[0].tag == tag


@pytest.mark.parametrize(("length", "header"), [
    (0, b"\x00"), (0x7F, b"\x7f"), (0x80, b"\x81\x80"), (0xFF, b"\x81\xff"),
    (0x100, b"\x82\x01\x00"), (0xFFFF, b"\x82\xff\xff"), (0x10000, b"\x83\x01\x00\x00"),
])
def test_length_forms(length: int, header: bytes) -> None:
    raw = encode(0x04, bytes(length))
    assert raw[1:1 + len(header)] == header
    assert decode(raw)[0].value == bytes(length)


def test_sequence_and_helpers() -> None:
    items = decode(encode(0x80, b"1") + encode(0x81, b"2") + encode(0x81, b"3"))
    assert len(items) == 3
    assert find(items, 0x80) == Tlv(0x80, b"1")
    assert find(items, 0x82) is None
    with pytest.raises(TlvError, match="occurs 2 times"):
        find(items, 0x81)
    with pytest.raises(TlvError, match="missing"):
        expect_single(items, 0x82)
    assert expect_single(items, 0x80).value == b"1"
    assert decode(b"") == []


def test_decode_single() -> None:
    raw = encode(0x61, [encode(0x80, b"x")])
    assert decode_single(raw, 0x61).children[0].value == b"x"
    with pytest.raises(TlvError, match="expected tag"):
        decode_single(raw, 0x75)
    with pytest.raises(TlvError, match="found 2"):
        decode_single(raw + raw, 0x61)
    with pytest.raises(TlvError, match="found 0"):
        decode_single(b"", 0x61)


@pytest.mark.parametrize("raw", [
    b"\x80",  # tag without length
    b"\x5f",  # multi-byte tag cut after its first byte
    b"\x5f\x81",  # ... and after its second
    b"\x80\x05abc",  # value shorter than its length
    b"\x80\x81",  # long length without its byte
    b"\x80\x82\x01",  # ... cut short
    b"\x80\x83\xff\xff\xff",  # 16 MB announced, nothing there
    b"\x80\x80",  # indefinite length
    b"\x61\x80\x80\x00\x00\x00",  # indefinite, constructed
    b"\x80\x84\x00\x00\x00\x01x",  # 4-byte length
    b"\x80\x8f" + bytes(15),  # 15-byte length
    b"\x80\xff",  # reserved length byte
    b"\x80\x81\x05abcde",  # long form for a short length
    b"\x80\x82\x00\x90" + bytes(0x90),  # leading zero length byte
    b"\x5f\x05\x00",  # multi-byte tag number that fits in one byte
    b"\x5f\x80\x01\x00",  # multi-byte tag with a leading zero group
    b"\x5f\x81\x81\x01\x00",  # 4-byte tag
    b"\x00\x00",  # padding instead of a tag
    b"\xff\x00",
    b"\x80\x01a\x00",  # trailing padding
    b"\x80\x01a\x81",  # trailing garbage: a tag without length
    b"\x61\x03\x80\x02a",  # child runs past its parent's end
    b"\x61\x04\x80\x01a\x00",  # parent's value not filled by children
    b"\x61\x02\x80\x01a",  # parent shorter than its child
])
def test_malformed(raw: bytes) -> None:
    with pytest.raises(TlvError):
        decode(raw)


def nested(depth: int) -> bytes:
    raw = encode(0x80, b"x")
    for _ in range(depth - 1):
        raw = encode(0x61, [raw])
    return raw


def test_depth_limit() -> None:
    assert len(decode(nested(8))) == 1  # 8 levels: 7 templates and the primitive
    with pytest.raises(TlvError, match="too deep"):
        decode(nested(9))
    with pytest.raises(TlvError, match="too deep"):
        decode(nested(3), max_depth=2)
    with pytest.raises(ValueError):
        decode(b"", max_depth=0)
    with pytest.raises(ValueError):
        decode(b"", max_depth=10_000)


def test_very_deep_input_is_refused_without_recursion() -> None:
    raw = b"\x61\x82\xff\xff" * 20_000  # claims nesting 20 000 deep (and runs past the end)
    with pytest.raises(TlvError):
        decode(raw)
    # Truly nested, within lengths: the depth limit stops it, not Python's stack.
    with pytest.raises(TlvError, match="too deep"):
        decode(nested(2000), max_depth=64)


@pytest.mark.parametrize("tag", [0, -1, 0x1F, 0x5F, 0x5F81, 0x5F0A, 0x5F8001, 0x1000000,
                                 0x5F818101, 0x80 << 8])
def test_encode_refuses_invalid_tags(tag: int) -> None:
    with pytest.raises(TlvError):
        encode(tag, b"")


def test_encode_refuses_children_of_a_primitive_tag_and_huge_values() -> None:
    with pytest.raises(TlvError, match="primitive"):
        encode(0x80, [encode(0x81, b"")])
    with pytest.raises(TlvError):
        tlv.length_bytes(tlv.MAX_LENGTH + 1)


def test_huge_declared_length_allocates_nothing() -> None:
    raw = b"\x75\x83\xff\xff\xff\x5f\x2e\x83\xff\xff\xf0" + bytes(40 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(TlvError, match="past the end"):
            decode(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


# --------------------------------------------------------------------------- fuzzing


def decode_or_refuse(raw: bytes) -> list[Tlv] | None:
    try:
        items = decode(raw)
    except TlvError:
        return None
    # Whatever decodes re-encodes to the very same bytes: one encoding per value.
    assert b"".join(i.encoded for i in items) == raw
    return items


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    decode_or_refuse(raw)


TAGS = st.sampled_from([0x80, 0x81, 0x04, 0x5F2E, 0x9F7F, 0x5F8101])
TEMPLATES = st.sampled_from([0x61, 0x75, 0x30, 0xA0, 0x7F21, 0x7F8101])
OBJECTS = st.recursive(
    st.builds(encode, TAGS, st.binary(max_size=200)),
    lambda inner: st.builds(encode, TEMPLATES, st.lists(inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(OBJECTS)
def test_valid_encodings_round_trip(raw: bytes) -> None:
    items = decode(raw, max_depth=64)
    assert len(items) == 1
    assert items[0].encoded == raw


@settings(max_examples=300, deadline=None)
@given(OBJECTS, st.data())
def test_mutated_encodings(raw: bytes, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete", "set"]))
    i = data.draw(st.integers(0, max(len(raw) - 1, 0)))
    if kind == "flip":
        mutated = raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1:]
    elif kind == "truncate":
        mutated = raw[:i]
    elif kind == "insert":
        mutated = raw[:i] + data.draw(st.binary(min_size=1, max_size=4)) + raw[i:]
    elif kind == "delete":
        mutated = raw[:i] + raw[i + 1:]
    else:
        mutated = raw[:i] + bytes([data.draw(st.sampled_from([0x80, 0x81, 0x82, 0x83, 0x84,
                                                              0xFF, 0x1F, 0x00]))]) + raw[i + 1:]
    decode_or_refuse(mutated)
