"""A strict BER-TLV codec (ISO/IEC 7816-4 data objects) for the card's files.

The input comes from a chip the kiosk does not trust, so decoding accepts one
encoding per value and nothing else: tags of 1 to 3 bytes, definite lengths in
their shortest form up to three length bytes, values wholly inside the input.
Every defect raises ``TlvError``, and a declared length is compared with the
bytes actually present before anything is sliced, so a forged length never
makes the decoder allocate or read more than the input holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_LENGTH = 0xFFFFFF  # the largest length 0x83 can state
_DEPTH_LIMIT = 64  # max_depth above this would let input drive Python's recursion limit


class TlvError(ValueError):
    """The bytes are not strict BER-TLV; the message says where, never what the value was."""


@dataclass(frozen=True)
class Tlv:
    """One data object. ``value`` is its value field as encoded; ``children`` are
    the decoded objects inside a constructed one (empty for a primitive one)."""

    tag: int
    value: bytes = field(repr=False)
    children: tuple[Tlv, ...] = field(default=(), repr=False)

    @property
    def constructed(self) -> bool:
        return is_constructed(self.tag)

    @property
    def encoded(self) -> bytes:
        """The object exactly as it is on the card (the only encoding decode accepts)."""
        return tag_bytes(self.tag) + length_bytes(len(self.value)) + self.value


def tag_bytes(tag: int) -> bytes:
    """The encoding of ``tag``; ``TlvError`` unless it is a valid 1–3 byte tag."""
    if not 0 < tag <= 0xFFFFFF:
        raise TlvError(f"tag {tag:#x} is not a 1 to 3 byte tag")
    raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    got, end = _read_tag(raw, 0)
    if end != len(raw) or got != tag:
        raise TlvError(f"tag {tag:#x} is not a valid BER-TLV tag")
    return raw


def length_bytes(length: int) -> bytes:
    """The shortest definite-length encoding of ``length``."""
    if length < 0 or length > MAX_LENGTH:
        raise TlvError(f"length {length} cannot be encoded")
    if length < 0x80:
        return bytes([length])
    size = (length.bit_length() + 7) // 8
    return bytes([0x80 | size]) + length.to_bytes(size, "big")


def is_constructed(tag: int) -> bool:
    first = tag >> (8 * ((tag.bit_length() - 1) // 8)) if tag > 0 else 0
    return bool(first & 0x20)


def encode(tag: int, value: bytes | Sequence[bytes | Tlv]) -> bytes:
    """One data object: ``value`` is the value field (bytes), or, for a
    constructed tag, the children (encoded bytes or ``Tlv``) in order."""
    head = tag_bytes(tag)
    if isinstance(value, bytes | bytearray | memoryview):
        body = bytes(value)
    else:
        if not is_constructed(tag):
            raise TlvError(f"tag {tag:#x} is primitive and cannot have children")
        body = b"".join(c.encoded if isinstance(c, Tlv) else bytes(c) for c in value)
    return head + length_bytes(len(body)) + body


def decode(data: bytes | bytearray | memoryview, *, max_depth: int = 8) -> list[Tlv]:
    """All data objects in ``data``, which they must fill exactly.

    Constructed objects are decoded recursively, at most ``max_depth`` levels
    deep. Raises ``TlvError`` for any malformed input and never anything else.
    """
    if not 1 <= max_depth <= _DEPTH_LIMIT:
        raise ValueError(f"max_depth must be 1..{_DEPTH_LIMIT}")
    return _decode(bytes(data), max_depth)


def decode_single(data: bytes | bytearray | memoryview, tag: int, *,
                  max_depth: int = 8) -> Tlv:
    """``data`` must be exactly one object with ``tag`` (a whole card file)."""
    items = decode(data, max_depth=max_depth)
    if len(items) != 1:
        raise TlvError(f"expected one object {tag:#x}, found {len(items)}")
    if items[0].tag != tag:
        raise TlvError(f"expected tag {tag:#x}, found {items[0].tag:#x}")
    return items[0]


def find(items: Iterable[Tlv], tag: int) -> Tlv | None:
    """The one object with ``tag`` among ``items``, None if there is none.

    A tag that occurs twice is an error: which of the two counts would be the
    reader's guess, and two readers could guess differently.
    """
    hits = [t for t in items if t.tag == tag]
    if len(hits) > 1:
        raise TlvError(f"tag {tag:#x} occurs {len(hits)} times")
    return hits[0] if hits else None


def expect_single(items: Iterable[Tlv], tag: int) -> Tlv:
    """The one object with ``tag`` among ``items``; ``TlvError`` if absent or repeated."""
    hit = find(items, tag)
    if hit is None:
        raise TlvError(f"tag {tag:#x} is missing")
    return hit


def _decode(data: bytes, depth_left: int) -> list[Tlv]:
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        tag, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        if length > len(data) - pos:  # checked before slicing: no allocation on a lie
            raise TlvError(f"tag {tag:#x}: length {length} runs past the end "
                           f"({len(data) - pos} bytes left)")
        value = data[pos:pos + length]
        pos += length
        children: tuple[Tlv, ...] = ()
        if is_constructed(tag):
            if depth_left <= 1:
                raise TlvError("objects nested too deep")
            children = tuple(_decode(value, depth_left - 1))
        out.append(Tlv(tag, value, children))
    return out


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated tag")
    first = data[pos]
    if first in (0x00, 0xFF):
        # ISO 7816-4 reserves these as padding; a strict file has no padding.
        raise TlvError(f"invalid tag byte {first:#04x} at offset {pos}")
    if first & 0x1F != 0x1F:
        return first, pos + 1
    tag = first
    for i in range(1, 3):
        if pos + i >= len(data):
            raise TlvError("truncated tag")
        b = data[pos + i]
        if i == 1 and b < 0x1F:
            raise TlvError("multi-byte tag number fits in one byte (not the shortest form)")
        if i == 1 and b == 0x80:
            raise TlvError("multi-byte tag with a leading zero group")
        tag = (tag << 8) | b
        if not b & 0x80:
            return tag, pos + i + 1
    raise TlvError("tag longer than 3 bytes")


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first == 0x80:
        raise TlvError("indefinite length is not allowed")
    size = first & 0x7F
    if size > 3:
        raise TlvError(f"length of {size} bytes is not allowed (at most 3)")
    if pos + 1 + size > len(data):
        raise TlvError("truncated length")
    length = int.from_bytes(data[pos + 1:pos + 1 + size], "big")
    if length < 0x80 or length >> (8 * (size - 1)) == 0:
        raise TlvError("length not in its shortest form")
    return length, pos + 1 + size
