"""The sandbox issuer: makes test ID cards, genuine or with one chosen defect.

TEST ONLY. It plays the card issuer of docs/card.md: a certificate authority
(CA), a document signer (DS) certified by it, and personalisation, which writes
a card's files, signs their hashes and gives the chip its own key. Its private
keys are derived from the public labels below (scalar = SHA-256(label) mod
(n - 1) + 1 on P-256), and its certificates are signed deterministically
(RFC 6979), so every machine has the very same sandbox CA. Anyone can
therefore forge a card it vouches for: a production terminal must not trust it
(``identity.trusted_issuers`` without "sandbox").
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.identity import tlv
from kiosk.identity.card import (
    IDENTITY_TAGS,
    IDENTITY_TEMPLATE,
    IdCard,
    encode_identity,
    encode_photo,
)
from kiosk.identity.chip import CHIP_KEY, IDENTITY, PHOTO, SECURITY
from kiosk.identity.profile import CardProfile
from kiosk.identity.security import encode_chip_key, encode_hash_list, encode_security_object
from kiosk.identity.verify import TrustStore
from kiosk.sandbox.demo import DEMO_CITIZENS, DemoCitizen, portrait_jpeg

CA_KEY_LABEL = "kiosk sandbox issuer: CA key (TEST ONLY)"
DS_KEY_LABEL = "kiosk sandbox issuer: document signer key (TEST ONLY)"
# A second CA with the same name but another key, for the "unknown-issuer" defect:
# verification must check the CA's signature, not just the issuer's name.
ROGUE_CA_KEY_LABEL = "kiosk sandbox issuer: untrusted CA key (TEST ONLY)"
ROGUE_DS_KEY_LABEL = "kiosk sandbox issuer: untrusted document signer key (TEST ONLY)"
DEMO_CHIP_KEY_LABEL = "kiosk sandbox issuer: demo chip key {card_number} (TEST ONLY)"
VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2045, 12, 31, 23, 59, 59, tzinfo=UTC)
CA_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "MO"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kiosk Sandbox Issuer (TEST ONLY)"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox Resident ID Card CA (TEST ONLY)"),
])
DS_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "MO"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kiosk Sandbox Issuer (TEST ONLY)"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox Document Signer 1 (TEST ONLY)"),
])
# An expired-defect card: validly signed, but its validity ended before today.
EXPIRED_ISSUE = date(2010, 3, 1)
EXPIRED_EXPIRY = date(2020, 3, 1)

# Each defect and the reason verify_card must give for it.
DEFECTS: dict[str, str] = {
    "altered-field": "altered_file",
    "swapped-photo": "altered_file",
    "bad-signature": "bad_signature",
    "unknown-issuer": "unknown_issuer",
    "expired": "expired",
    "cloned-chip": "cloned_chip",
    "truncated-file": "damaged_file",
    "malformed-lengths": "damaged_file",
}
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class _Issuer:
    ca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate


def label_key(label: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key of a public label: deterministic, and therefore not secret."""
    digest = int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest(), "big")
    return ec.derive_private_key(digest % (_P256_ORDER - 1) + 1, ec.SECP256R1())


@functools.cache
def _issuer(trusted: bool = True) -> _Issuer:
    ca_key = label_key(CA_KEY_LABEL if trusted else ROGUE_CA_KEY_LABEL)
    ds_key = label_key(DS_KEY_LABEL if trusted else ROGUE_DS_KEY_LABEL)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = _certificate(CA_NAME, ca_key.public_key(), ca_key, serial=0x5A0001, extensions=[
        x509.BasicConstraints(ca=True, path_length=0),
        key_usage(key_cert_sign=True, crl_sign=True),
        ca_ski,
    ])
    ds_cert = _certificate(DS_NAME, ds_key.public_key(), ca_key, serial=0x5A0101, extensions=[
        x509.BasicConstraints(ca=False, path_length=None),
        key_usage(digital_signature=True),
        x509.SubjectKeyIdentifier.from_public_key(ds_key.public_key()),
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
    ])
    return _Issuer(ca_cert, ds_key, ds_cert)


def ca_certificate() -> x509.Certificate:
    return _issuer().ca_cert


def ca_certificate_pem() -> bytes:
    """The sandbox CA's certificate, for a trust-anchor file."""
    return ca_certificate().public_bytes(serialization.Encoding.PEM)


def sandbox_trust_store() -> TrustStore:
    return TrustStore([ca_certificate()])


def personalize(card_number: str, id_number: str, name_zh: str, name_latin: str, sex: str,
                date_of_birth: date, issue_date: date, expiry_date: date, photo_jpeg: bytes, *,
                defect: str | None = None, protocol: str = "T=1", extended_length: bool = True,
                chip_key: ec.EllipticCurvePrivateKey | None = None) -> CardProfile:
    """A card's profile: its four files and the chip's own key (new unless given).

    With ``defect`` (a key of DEFECTS) the card is made wrong in that one way.
    """
    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r} (known: {', '.join(DEFECTS)})")
    card = IdCard(card_number, id_number, name_zh, name_latin, sex, date_of_birth,
                  issue_date, expiry_date, bytearray())
    if defect == "expired":
        if date_of_birth >= EXPIRED_EXPIRY:
            raise ValueError(f"an expired card needs a holder born before {EXPIRED_EXPIRY}")
        card = replace(card, issue_date=max(date_of_birth, EXPIRED_ISSUE),
                       expiry_date=EXPIRED_EXPIRY)
    key = chip_key or ec.generate_private_key(ec.SECP256R1())
    files = {
        IDENTITY.name: encode_identity(card),
        PHOTO.name: encode_photo(photo_jpeg),
        CHIP_KEY.name: encode_chip_key(key.public_key()),
    }
    issuer = _issuer(trusted=defect != "unknown-issuer")
    hash_list = encode_hash_list(files)
    signature = issuer.ds_key.sign(hash_list, ec.ECDSA(hashes.SHA256(),
                                                       deterministic_signing=True))
    if defect == "bad-signature":
        signature = signature[:-1] + bytes([signature[-1] ^ 0x01])  # inside s: DER stays valid
    files[SECURITY.name] = encode_security_object(
        hash_list, issuer.ds_cert.public_bytes(serialization.Encoding.DER), signature)

    # Defects made after signing: what a forger or a damaged chip would present.
    if defect == "altered-field":
        digits, check = id_number[:7], id_number[7:]
        other = str((int(digits) + 1) % 10**7).zfill(7) if digits.isdigit() else "0000000"
        files[IDENTITY.name] = encode_identity(replace(card, id_number=other + check))
    elif defect == "swapped-photo":
        files[PHOTO.name] = encode_photo(_other_photo(photo_jpeg))
    elif defect == "cloned-chip":
        key = ec.generate_private_key(ec.SECP256R1())  # the copy's chip cannot know the key
    elif defect == "truncated-file":
        files[IDENTITY.name] = files[IDENTITY.name][: len(files[IDENTITY.name]) * 2 // 3]
    elif defect == "malformed-lengths":
        files[IDENTITY.name] = _overlong_name(card)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return CardProfile(files=files, chip_private_key_pem=pem, atr=b"", protocol=protocol,
                       extended_length=extended_length, label=defect or "genuine")


def demo_profile(citizen: DemoCitizen, *, defect: str | None = None) -> CardProfile:
    """A demo citizen's card; genuine ones are the same bytes on every machine."""
    key = label_key(DEMO_CHIP_KEY_LABEL.format(card_number=citizen.card_number))
    return personalize(citizen.card_number, citizen.id_number, citizen.name_zh,
                       citizen.name_latin, citizen.sex, citizen.date_of_birth,
                       citizen.issue_date, citizen.expiry_date, portrait_jpeg(citizen),
                       defect=defect, chip_key=key)


def _other_photo(photo: bytes) -> bytes:
    return next(p for p in (portrait_jpeg(c) for c in DEMO_CITIZENS) if p != photo)


def _overlong_name(card: IdCard) -> bytes:
    """The identity file whose Latin-name object claims more bytes than the
    template holds; the template's own length is right, so only a reader that
    checks every level notices."""
    parts = tlv.decode_single(encode_identity(card), IDENTITY_TEMPLATE).children
    rest = sum(len(p.encoded) for p in parts if p.tag > IDENTITY_TAGS["name_latin"])
    body = b""
    for p in parts:
        if p.tag == IDENTITY_TAGS["name_latin"]:
            body += (tlv.tag_bytes(p.tag) + tlv.length_bytes(len(p.value) + rest + 1) + p.value)
        else:
            body += p.encoded
    return tlv.tag_bytes(IDENTITY_TEMPLATE) + tlv.length_bytes(len(body)) + body


def key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False,
              crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def _certificate(subject: x509.Name, public_key: ec.EllipticCurvePublicKey,
                 signer: ec.EllipticCurvePrivateKey, *, serial: int,
                 extensions: list[x509.ExtensionType]) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(CA_NAME)
               .public_key(public_key).serial_number(serial)
               .not_valid_before(VALID_FROM).not_valid_after(VALID_UNTIL))
    for ext in extensions:
        builder = builder.add_extension(ext, critical=isinstance(
            ext, x509.BasicConstraints | x509.KeyUsage))
    return builder.sign(signer, hashes.SHA256(), ecdsa_deterministic=True)
