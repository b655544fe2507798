"""The card's security files: the signed security object and the chip's public key.

Formats (docs/card.md): the security object ``0x77`` lists a SHA-256 hash per
hashed file, signed by a document signer whose certificate it carries; the chip
key file ``0x6F`` holds the public half of the key the chip proves it owns by
active authentication. Parsing is strict and raises ``ValueError`` (``TlvError``
or ``SecurityFormatError``); whether a signature or a key is *good* is decided
by ``kiosk.identity.verify``. Encoding is here too, for personalisation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from kiosk.identity import tlv
from kiosk.identity.chip import CHALLENGE_LENGTH, CHIP_KEY, HASHED, ChipFile

SECURITY_TEMPLATE: Final = 0x77
HASH_LIST: Final = 0xA0
HASH_ENTRY: Final = 0x30
ENTRY_FID: Final = 0x80
ENTRY_HASH: Final = 0x81
DS_CERTIFICATE: Final = 0x84
SIGNATURE: Final = 0x85
CHIP_KEY_TEMPLATE: Final = 0x6F
CHIP_KEY_SPKI: Final = 0x80
HASH_LENGTH: Final = 32  # SHA-256
AA_RESPONSE_LENGTH: Final = 64  # r || s, 32 bytes each (P-256)
_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class SecurityFormatError(ValueError):
    """A security file is well-formed TLV but not what docs/card.md specifies."""


@dataclass(frozen=True)
class SecurityObject:
    hashes: dict[int, bytes]  # file identifier -> SHA-256 of the whole file
    signed: bytes = field(repr=False)  # the 0xA0 object exactly as encoded: what is signed
    certificate: bytes = field(repr=False)  # the document signer's X.509 certificate, DER
    signature: bytes = field(repr=False)  # ECDSA P-256 / SHA-256 over ``signed``, DER


def file_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def encode_hash_list(files: dict[str, bytes], covered: tuple[ChipFile, ...] = HASHED) -> bytes:
    """The 0xA0 object over ``files`` (by ChipFile.name): what the document signer signs."""
    return tlv.encode(HASH_LIST, [
        tlv.encode(HASH_ENTRY, [tlv.encode(ENTRY_FID, f.fid.to_bytes(2, "big")),
                                tlv.encode(ENTRY_HASH, file_hash(files[f.name]))])
        for f in covered
    ])


def encode_security_object(hash_list: bytes, certificate_der: bytes, signature: bytes) -> bytes:
    return tlv.encode(SECURITY_TEMPLATE, [hash_list, tlv.encode(DS_CERTIFICATE, certificate_der),
                                          tlv.encode(SIGNATURE, signature)])


def parse_security_object(raw: bytes) -> SecurityObject:
    """The security object's parts; ``ValueError`` if it is not exactly as specified."""
    top = tlv.decode_single(raw, SECURITY_TEMPLATE, max_depth=4)
    _only(top, (HASH_LIST, DS_CERTIFICATE, SIGNATURE))
    hash_list = tlv.expect_single(top.children, HASH_LIST)
    certificate = tlv.expect_single(top.children, DS_CERTIFICATE)
    signature = tlv.expect_single(top.children, SIGNATURE)
    hashes_by_fid: dict[int, bytes] = {}
    for entry in hash_list.children:
        if entry.tag != HASH_ENTRY:
            raise SecurityFormatError(f"unexpected tag {entry.tag:#x} in the hash list")
        _only(entry, (ENTRY_FID, ENTRY_HASH))
        fid = tlv.expect_single(entry.children, ENTRY_FID).value
        digest = tlv.expect_single(entry.children, ENTRY_HASH).value
        if len(fid) != 2 or len(digest) != HASH_LENGTH:
            raise SecurityFormatError("a hash entry has a wrong-sized file id or hash")
        number = int.from_bytes(fid, "big")
        if number in hashes_by_fid:
            raise SecurityFormatError(f"file {number:#06x} is hashed twice")
        hashes_by_fid[number] = digest
    # Exactly the hashed files: a missing one would go unchecked, an extra one
    # would be a file this terminal does not know how to read.
    if set(hashes_by_fid) != {f.fid for f in HASHED}:
        raise SecurityFormatError("the hash list does not cover exactly the hashed files")
    if not certificate.value or not signature.value:
        raise SecurityFormatError("empty certificate or signature")
    return SecurityObject(hashes_by_fid, hash_list.encoded, certificate.value, signature.value)


def encode_chip_key(public_key: ec.EllipticCurvePublicKey) -> bytes:
    spki = public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return tlv.encode(CHIP_KEY_TEMPLATE, [tlv.encode(CHIP_KEY_SPKI, spki)])


def parse_chip_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """The chip's P-256 public key; ``ValueError`` if the file is anything else."""
    if len(raw) > CHIP_KEY.max_size:
        raise SecurityFormatError("chip key file too large")
    top = tlv.decode_single(raw, CHIP_KEY_TEMPLATE, max_depth=2)
    _only(top, (CHIP_KEY_SPKI,))
    spki = tlv.expect_single(top.children, CHIP_KEY_SPKI).value
    try:
        key = serialization.load_der_public_key(spki)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SecurityFormatError("chip key is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SecurityFormatError("chip key is not an EC P-256 key")
    return key


def chip_response(private_key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    """What a chip answers to INTERNAL AUTHENTICATE: ECDSA P-256 over
    SHA-256(challenge), as r || s of 32 bytes each (for virtual cards)."""
    r, s = decode_dss_signature(private_key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def check_chip_response(public_key: ec.EllipticCurvePublicKey, challenge: bytes,
                        response: bytes) -> bool:
    """Whether ``response`` is the chip key's signature over this very challenge."""
    if len(challenge) != CHALLENGE_LENGTH or len(response) != AA_RESPONSE_LENGTH:
        return False
    r = int.from_bytes(response[:32], "big")
    s = int.from_bytes(response[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), challenge, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _only(parent: tlv.Tlv, allowed: tuple[int, ...]) -> None:
    for child in parent.children:
        if child.tag not in allowed:
            raise SecurityFormatError(f"unexpected tag {child.tag:#x} in {parent.tag:#x}")
