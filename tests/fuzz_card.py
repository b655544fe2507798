"""Fuzz targets for the ID card's files: BER-TLV, identity, photo, security
object, chip key, the whole verification, and the card profile file.

Seeds are the genuine demo card of the sandbox issuer (the same bytes on every
machine); generators edit its files byte by byte or object by object, so a
mutation reaches the field checks and the signatures, not only the TLV layer.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Any

from kiosk.devices.virtual_card import VirtualCard
from kiosk.identity import tlv
from kiosk.identity.card import (
    CardDataError,
    IdCard,
    encode_identity,
    encode_photo,
    parse_identity,
    parse_photo,
)
from kiosk.identity.chip import CHIP_KEY, FILES, IDENTITY, PHOTO, SECURITY, ChipRead
from kiosk.identity.profile import CardProfile, ProfileError
from kiosk.identity.security import (
    SecurityObject,
    encode_security_object,
    parse_chip_key,
    parse_security_object,
)
from kiosk.identity.verify import REASONS, verify_card
from tests.fuzz_targets import (
    Source,
    Target,
    as_text,
    chance,
    json_bytes,
    mutate_bytes,
    mutate_json,
    mutate_text,
)

TODAY = date(2026, 6, 1)  # the demo cards are valid then
# Tags of the card's layout and a few others: a mutated object keeps a real tag
# more often than a random one would.
TAGS = (0x30, 0x53, 0x54, 0x61, 0x6F, 0x75, 0x77, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
        0x87, 0x88, 0xA0, 0x04, 0x5F2E, 0x7F21, 0x9F7F, 0x5F8101)
PRIMITIVE = tuple(t for t in TAGS if not tlv.is_constructed(t))


@cache
def genuine() -> tuple[CardProfile, Any, bytes, bytes]:
    """The demo card, the trust store, a challenge and the chip's answer to it."""
    from kiosk.sandbox import issuer
    from kiosk.sandbox.demo import DEMO_CITIZENS

    profile = issuer.demo_profile(DEMO_CITIZENS[0])
    challenge = bytes(range(16))
    card = VirtualCard(profile)
    # The chip's own answer, through the APDU processor the simulator uses.
    card.process(bytes.fromhex("00A4040C08F04D4F5245534944"))
    answer = card.process(bytes.fromhex("0088000010") + challenge + b"\x00")
    return profile, issuer.sandbox_trust_store(), challenge, answer[:-2]


@cache
def other_cards() -> tuple[CardProfile, ...]:
    """The other demo citizens' genuine cards: a file of one on another is the
    swap a forger tries first (every file genuine, signed, but not together)."""
    from kiosk.sandbox import issuer
    from kiosk.sandbox.demo import DEMO_CITIZENS

    return tuple(issuer.demo_profile(c) for c in DEMO_CITIZENS[1:])


def card_file(name: str) -> bytes:
    return genuine()[0].files[name]


def all_files() -> list[bytes]:
    return [card_file(f.name) for f in FILES]


# --- structure-aware TLV edits -----------------------------------------------------


def _tree(item: tlv.Tlv) -> list[Any]:
    return [item.tag, [_tree(c) for c in item.children] if item.constructed else item.value]


def _encode(node: list[Any]) -> bytes:
    tag, value = node
    body = b"".join(_encode(c) for c in value) if isinstance(value, list) else value
    return tlv.tag_bytes(tag) + tlv.length_bytes(len(body)) + body


def _nodes(node: list[Any]) -> list[list[Any]]:
    out = [node]
    if isinstance(node[1], list):
        for child in node[1]:
            out += _nodes(child)
    return out


def mutate_tlv(src: Source, raw: bytes) -> bytes:
    """``raw`` (one valid object) re-encoded after an edit of one of its
    objects: a value edited, a tag changed, a child dropped, repeated, moved or
    added. Lengths stay right, so the parser's next layer is what is tested."""
    root = _tree(tlv.decode(raw, max_depth=8)[0])
    for _ in range(src.integer(1, 2)):
        node = src.choice(_nodes(root))
        op = src.integer(0, 5)
        if op == 0:
            node[0] = src.choice(TAGS)
        elif isinstance(node[1], list) and node[1] and op < 4:
            kids = node[1]
            i = src.integer(0, len(kids) - 1)
            if op == 1:
                del kids[i]
            elif op == 2:
                kids.insert(src.integer(0, len(kids)), [kids[i][0], kids[i][1]])
            else:
                kids.insert(src.integer(0, len(kids)), [src.choice(TAGS), src.binary(12)])
        elif isinstance(node[1], bytes):
            node[1] = mutate_bytes(src, node[1]) if chance(src, 70) else src.choice(
                (b"", node[1] * 2, node[1][::-1], "陳 \u202e".encode(), b"99999999"))
    return _encode(root)


def mutated_file(src: Source, name: str) -> bytes:
    raw = card_file(name)
    return mutate_tlv(src, raw) if chance(src, 50) else mutate_bytes(src, raw, all_files())


# --- the targets -------------------------------------------------------------------------


def gen_tlv(src: Source) -> tuple[bool, bytes]:
    """(True, a valid encoding) or (False, an edited card file)."""
    if chance(src, 20):
        objs = [tlv.encode(src.choice(PRIMITIVE), src.binary(300))
                for _ in range(src.integer(1, 3))]
        return True, tlv.encode(0x61, objs) if chance(src, 50) else b"".join(objs)
    return False, mutated_file(src, src.choice([f.name for f in FILES]))


def check_tlv(value: tuple[bool, bytes]) -> None:
    valid, raw = value
    try:
        items = tlv.decode(raw)
    except tlv.TlvError:
        assert not valid, "a valid encoding was refused"
        raise
    # One encoding per value: what decodes re-encodes to the very same bytes.
    assert b"".join(i.encoded for i in items) == raw


def check_identity(raw: bytes) -> None:
    values = parse_identity(raw)
    assert values["date_of_birth"] <= values["issue_date"] < values["expiry_date"]
    assert all(isinstance(values[k], str) and values[k] == values[k].strip()
               for k in ("card_number", "id_number", "name_zh", "name_latin", "sex"))
    again = encode_identity(IdCard(photo_jpeg=bytearray(), **values))  # type: ignore[arg-type]
    assert parse_identity(again) == values  # personalisation writes what was read


def check_photo(raw: bytes) -> None:
    jpeg = parse_photo(raw)
    assert jpeg.startswith(b"\xff\xd8\xff")
    assert encode_photo(bytes(jpeg)) == raw  # the only encoding of this photo


def check_security(raw: bytes) -> None:
    sod = parse_security_object(raw)
    assert isinstance(sod, SecurityObject) and len(sod.hashes) == 3
    assert all(len(h) == 32 for h in sod.hashes.values())
    again = encode_security_object(sod.signed, sod.certificate, sod.signature)
    assert parse_security_object(again) == sod


def check_chip_key(raw: bytes) -> None:
    key = parse_chip_key(raw)
    assert key.curve.name == "secp256r1"


def gen_read(src: Source) -> tuple[dict[str, bytes], bytes, bool]:
    """A chip read of the genuine card with some files edited or missing, and
    whether anything at all differs from what the chip holds."""
    profile, _, _, answer = genuine()
    files = dict(profile.files)
    for _ in range(src.integer(1, 2)):
        name = src.choice([f.name for f in FILES])
        if chance(src, 10):
            files.pop(name, None)
        elif chance(src, 10):
            files[name] = src.choice(all_files())
        elif chance(src, 25):
            files[name] = src.choice(other_cards()).files[name]
        else:
            files[name] = mutated_file(src, name)
    response = mutate_bytes(src, answer) if chance(src, 10) else answer
    return files, response, files != profile.files or response != answer


def check_verify(value: tuple[dict[str, bytes], bytes, bool]) -> None:
    files, response, changed = value
    _, trust, challenge, _ = genuine()
    verdict = verify_card(ChipRead(files=dict(files), challenge=challenge, response=response),
                          trust, TODAY)
    assert verdict.reason in REASONS
    # verify_card turns any exception into this verdict: fail closed, but a bug.
    assert verdict.detail != "unexpected error while verifying"
    assert verdict.authentic is (not changed), "an edited card passed, or the genuine one failed"


def gen_profile(src: Source) -> str:
    text = genuine()[0].to_json()
    if chance(src, 30):
        return mutate_text(src, text)
    obj = json.loads(text)
    if chance(src, 30):  # the key's PEM, edited as text
        obj["chip_private_key_pem"] = mutate_text(src, obj["chip_private_key_pem"])
        return json.dumps(obj)
    keys = ("format", "label", "atr", "protocol", "extended_length", "files",
            "chip_private_key_pem", *(f.name for f in FILES))
    return as_text(json_bytes(src, mutate_json(src, obj, keys)))


def check_profile(text: str) -> None:
    profile = CardProfile.from_json(text)
    assert CardProfile.from_json(profile.to_json()) == profile
    # `kiosk card emulate` makes a card of whatever profile loads.
    card = VirtualCard(profile)
    assert len(card.process(bytes.fromhex("00A4040C08F04D4F5245534944"))) >= 2


TARGETS = [
    Target("tlv.decode", "TlvError or objects that re-encode to the same bytes; a valid "
           "encoding always decodes", gen_tlv, check_tlv, (tlv.TlvError,)),
    Target("card.identity", "CardDataError, or the holder's fields (valid names, dates in "
           "order) that re-encode and parse equal",
           lambda src: mutated_file(src, IDENTITY.name), check_identity, (CardDataError,)),
    Target("card.photo", "CardDataError, or a JPEG whose file is the only encoding of it",
           lambda src: mutated_file(src, PHOTO.name), check_photo, (CardDataError,)),
    Target("card.security_object", "ValueError (TlvError, SecurityFormatError), or the "
           "three hashes, certificate and signature, re-encoding to an equal object",
           lambda src: mutated_file(src, SECURITY.name), check_security, (ValueError,)),
    Target("card.chip_key", "ValueError, or an EC P-256 public key",
           lambda src: mutated_file(src, CHIP_KEY.name), check_chip_key, (ValueError,)),
    Target("card.verify", "a Verdict with a known reason, never the catch-all error; "
           "authentic exactly when nothing was edited", gen_read, check_verify, (),
           examples=150),
    Target("card.profile", "ProfileError, or a profile that round-trips through JSON and "
           "makes a virtual card", gen_profile, check_profile, (ProfileError,), examples=150),
]

