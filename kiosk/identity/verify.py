"""Is this card genuine? Passive and active authentication of one chip read.

Passive authentication (ICAO 9303 part 11 style): the security object lists a
hash of each file and is signed by a document signer (DS) whose certificate a
trusted certificate authority issued; so the files are what the issuer wrote.
Active authentication: the chip signs the terminal's fresh random challenge
with a private key that cannot be read out, whose public half is in a hashed
file; so the chip is the one the issuer personalised, not a copy. No PIN is
involved. The procedure and the reasons are specified in docs/card.md.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.config import SANDBOX_ISSUER, IdentityConfig
from kiosk.identity.card import CardDataError, IdCard, parse_card
from kiosk.identity.chip import CHIP_KEY, FILES, HASHED, SECURITY, ChipRead
from kiosk.identity.security import (
    check_chip_response,
    file_hash,
    parse_chip_key,
    parse_security_object,
)

log = logging.getLogger(__name__)

AUTHENTIC = "authentic"
# Every reason verify_card can give, in the order the checks run (docs/card.md).
REASONS = (AUTHENTIC, "missing_file", "damaged_file", "inconsistent", "unknown_issuer",
           "bad_signature", "altered_file", "cloned_chip", "expired")
# Hashes a certificate may be signed with; SHA-1 collisions are practical.
_CERT_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)


@dataclass
class Verdict:
    """The outcome of verifying one read. ``card`` is kept only when the card is
    authentic or authentic-but-expired; ``detail`` is for technicians and
    never holds personal data."""

    authentic: bool
    reason: str
    card: IdCard | None = None
    detail: str = ""

    def wipe(self) -> None:
        """Drop the holder's data: a verdict that arrives after its session ended."""
        if self.card is not None:
            self.card.wipe()
            self.card = None


class TrustStoreError(ValueError):
    """A trust anchor cannot be used; the message names the file or certificate."""


class TrustStore:
    """The certificate authorities whose document signers this terminal believes."""

    def __init__(self, certificates: Iterable[x509.Certificate] = ()) -> None:
        self._cas: list[x509.Certificate] = []
        for cert in certificates:
            if not isinstance(cert, x509.Certificate):
                raise TrustStoreError(f"not a certificate: {type(cert).__name__}")
            if not _is_ca(cert):
                raise TrustStoreError(f"{cert.subject.rfc4514_string()}: not a CA certificate "
                                      "(basicConstraints cA is not true)")
            if cert not in self._cas:
                self._cas.append(cert)

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> TrustStore:
        """CA certificates from PEM files (each may hold several)."""
        certs: list[x509.Certificate] = []
        for path in paths:
            try:
                found = x509.load_pem_x509_certificates(Path(path).read_bytes())
            except OSError as e:
                raise TrustStoreError(f"{path}: cannot read ({e.__class__.__name__})") from None
            except ValueError:
                raise TrustStoreError(f"{path}: not a PEM certificate file") from None
            try:
                certs.extend(cls(found).certificates)
            except TrustStoreError as e:
                raise TrustStoreError(f"{path}: {e}") from None
        return cls(certs)

    @classmethod
    def from_config(cls, identity: IdentityConfig, *,
                    sandbox: TrustStore | None = None) -> TrustStore:
        """The store ``identity.trusted_issuers`` names. ``sandbox`` is the sandbox
        issuer's store, which the caller supplies: the identity layer must not
        depend on the sandbox."""
        try:
            store = cls.load(identity.certificate_files)
        except TrustStoreError as e:
            raise TrustStoreError(f"identity.trusted_issuers: {e}") from None
        if identity.trusts_sandbox:
            if sandbox is None:
                raise TrustStoreError(f"identity.trusted_issuers: {SANDBOX_ISSUER!r} is listed "
                                      "but no sandbox issuer was supplied")
            store = store + sandbox
        return store

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        return tuple(self._cas)

    def __len__(self) -> int:
        return len(self._cas)

    def __add__(self, other: TrustStore) -> TrustStore:
        return TrustStore([*self._cas, *other.certificates])

    def __repr__(self) -> str:
        return f"TrustStore({[c.subject.rfc4514_string() for c in self._cas]})"

    def issuer_of(self, cert: x509.Certificate, today: date) -> x509.Certificate | None:
        """The trusted CA that issued ``cert``, if one did and both are valid today."""
        if not _valid_on(cert, today) or not isinstance(cert.signature_hash_algorithm,
                                                         _CERT_HASHES):
            return None
        for ca in self._cas:
            if ca.subject != cert.issuer or not _valid_on(ca, today):
                continue
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            return ca
        return None


def verify_card(read: ChipRead, trust: TrustStore, today: date) -> Verdict:
    """Judge one chip read. Never raises: every input gets a ``Verdict``.

    The caller owns ``read`` and wipes it; the verdict's card is a copy.
    """
    parsed: list[IdCard] = []
    try:
        verdict = _verify(read, trust, today, parsed)
    except Exception as e:  # a gate fails closed, whatever went wrong
        log.error("card verification failed unexpectedly (%s)", e.__class__.__name__)
        verdict = Verdict(False, "damaged_file", detail="unexpected error while verifying")
    for card in parsed:
        if verdict.card is not card:
            card.wipe()  # rejected: the holder's data goes no further
    return verdict


def _verify(read: ChipRead, trust: TrustStore, today: date, parsed: list[IdCard]) -> Verdict:
    files = read.files
    for f in FILES:
        if f.name not in files:
            return _reject("missing_file", f"no {f.name} file")
    for f in FILES:
        data = files[f.name]
        if not isinstance(data, bytes | bytearray) or len(data) > f.max_size:
            return _reject("damaged_file", f"{f.name} file is not bytes of at most "
                                           f"{f.max_size}")

    # 1. Parse everything before trusting anything.
    try:
        card = parse_card(files)
    except CardDataError as e:
        return _reject(e.code, e.detail)
    parsed.append(card)
    try:
        chip_key = parse_chip_key(bytes(files[CHIP_KEY.name]))
        sod = parse_security_object(bytes(files[SECURITY.name]))
        signer = x509.load_der_x509_certificate(sod.certificate)
        signer_key = signer.public_key()
        # The certificate parses lazily: read every part the checks use now, so
        # a malformed one is a damaged file here and not a surprise later.
        _ = (signer.issuer, signer.subject, signer.extensions, signer.not_valid_before_utc,
             signer.not_valid_after_utc, signer.signature_hash_algorithm)
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.DuplicateExtension) as e:
        return _reject("damaged_file", f"security files: {e.__class__.__name__}")

    # 2. The document signer must chain to a trusted CA, both valid today.
    if trust.issuer_of(signer, today) is None or not _may_sign_documents(signer):
        return _reject("unknown_issuer", "document signer not issued by a trusted CA")

    # 3. The document signer's signature over the hash list.
    if not (isinstance(signer_key, ec.EllipticCurvePublicKey)
            and isinstance(signer_key.curve, ec.SECP256R1)):
        return _reject("bad_signature", "document signer key is not EC P-256")
    try:
        signer_key.verify(sod.signature, sod.signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return _reject("bad_signature", "security object signature does not verify")

    # 4. Each file must be the one that was signed.
    for f in HASHED:
        if not hmac.compare_digest(file_hash(bytes(files[f.name])), sod.hashes[f.fid]):
            return _reject("altered_file", f"{f.name} file differs from the signed hash")

    # 5. The chip must own the private key of the (now authenticated) chip key.
    if not check_chip_response(chip_key, bytes(read.challenge), bytes(read.response)):
        return _reject("cloned_chip", "active authentication failed")

    # 6. Genuine, but is it still valid? The citizen is told, so the card stays.
    if card.expired(today):
        return Verdict(False, "expired", card, "card expired")
    return Verdict(True, AUTHENTIC, card)


def _reject(reason: str, detail: str) -> Verdict:
    return Verdict(False, reason, None, detail)


def _valid_on(cert: x509.Certificate, today: date) -> bool:
    return cert.not_valid_before_utc.date() <= today <= cert.not_valid_after_utc.date()


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return False
    return bc.ca


def _may_sign_documents(cert: x509.Certificate) -> bool:
    """A document signer is an end entity allowed to make digital signatures: a
    trusted CA's other certificates (a sub-CA, a TLS key) must not sign cards."""
    ext = cert.extensions
    try:
        if ext.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        usage = ext.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return usage.digital_signature and not usage.key_cert_sign
