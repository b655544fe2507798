"""Card verification with real cryptography: genuine cards pass, each defect has its reason."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import IdentityConfig
from kiosk.identity import tlv
from kiosk.identity.chip import CHIP_KEY, FILES, IDENTITY, PHOTO, SECURITY, ChipRead
from kiosk.identity.profile import CardProfile
from kiosk.identity.security import encode_hash_list, encode_security_object
from kiosk.identity.verify import REASONS, TrustStore, TrustStoreError, Verdict, verify_card
from kiosk.sandbox import issuer
from kiosk.sandbox.demo import DEMO_CITIZENS, DemoCitizen, portrait_jpeg

TODAY = date(2026, 6, 1)
TRUST = issuer.sandbox_trust_store()
CITIZEN = DEMO_CITIZENS[0]
GENUINE = issuer.demo_profile(CITIZEN)


def chip_sign(profile: CardProfile, challenge: bytes) -> bytes:
    """What the profile's chip answers to INTERNAL AUTHENTICATE: r || s."""
    key = serialization.load_pem_private_key(profile.chip_private_key_pem, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def read_of(profile: CardProfile, files: dict[str, bytes] | None = None) -> ChipRead:
    challenge = os.urandom(16)
    return ChipRead(files=dict(profile.files if files is None else files), challenge=challenge,
                    response=chip_sign(profile, challenge), protocol=profile.protocol)


def verify(read: ChipRead, trust: TrustStore = TRUST, today: date = TODAY) -> Verdict:
    verdict = verify_card(read, trust, today)
    assert verdict.reason in REASONS
    assert verdict.detail != "unexpected error while verifying"
    assert verdict.authentic is (verdict.reason == "authentic")
    if verdict.reason not in ("authentic", "expired"):
        assert verdict.card is None
    for secret in (CITIZEN.name_latin, CITIZEN.name_zh, CITIZEN.id_number):
        assert secret not in verdict.detail
    return verdict


# --------------------------------------------------------------------------- genuine cards


@pytest.mark.parametrize("citizen", DEMO_CITIZENS, ids=lambda c: c.card_number)
def test_genuine_demo_card(citizen: DemoCitizen) -> None:
    verdict = verify(read_of(issuer.demo_profile(citizen)))
    assert verdict == Verdict(True, "authentic", verdict.card)
    card = verdict.card
    assert card is not None
    assert (card.card_number, card.id_number, card.name_zh, card.name_latin, card.sex) == (
        citizen.card_number, citizen.id_number, citizen.name_zh, citizen.name_latin,
        citizen.sex)
    assert bytes(card.photo_jpeg) == portrait_jpeg(citizen)


def test_freshly_personalised_card_with_its_own_chip_key() -> None:
    c = DEMO_CITIZENS[1]
    profile = issuer.personalize(c.card_number, c.id_number, c.name_zh, c.name_latin, c.sex,
                                 c.date_of_birth, c.issue_date, c.expiry_date,
                                 portrait_jpeg(c), protocol="T=0", extended_length=False)
    assert (profile.protocol, profile.extended_length, profile.label) == ("T=0", False,
                                                                        "genuine")
    assert profile.chip_private_key_pem != GENUINE.chip_private_key_pem
    assert verify(read_of(profile)).authentic


def test_profile_survives_its_json_file(tmp_path: Path) -> None:
    GENUINE.save(tmp_path / "card.json")
    assert verify(read_of(CardProfile.load(tmp_path / "card.json"))).authentic


def test_sandbox_issuer_is_the_same_everywhere() -> None:
    # Pinned: a change here means every saved sandbox card profile stops verifying.
    spki = issuer.ca_certificate().public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert hashlib.sha256(spki).hexdigest() == CA_SPKI_SHA256
    assert issuer.ca_certificate_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    assert issuer.demo_profile(CITIZEN).files == GENUINE.files
    assert issuer.demo_profile(CITIZEN).chip_private_key_pem == GENUINE.chip_private_key_pem


CA_SPKI_SHA256 = hashlib.sha256(bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
    "2f56f6c6ab9bcde1b8f85ce42f4fdfb048744d47b0614177094678fcc65d9f9c"
    "de871b83bdd7ef0f033610d3eb9b9df4057c3d6a3e78fda065769d1b17ec0fc7")).hexdigest()


# --------------------------------------------------------------------------- defects


@pytest.mark.parametrize(("defect", "reason"), list(issuer.DEFECTS.items()))
def test_each_defect_has_its_reason(defect: str, reason: str) -> None:
    profile = issuer.demo_profile(CITIZEN, defect=defect)
    assert profile.label == defect
    verdict = verify(read_of(profile))
    assert not verdict.authentic
    assert verdict.reason == reason


def test_every_reason_but_the_parser_ones_is_reachable_by_a_defect() -> None:
    assert set(issuer.DEFECTS.values()) | {"authentic", "missing_file", "inconsistent"} == set(
        REASONS)


def test_expired_card_keeps_the_card_to_tell_the_citizen() -> None:
    verdict = verify(read_of(issuer.demo_profile(CITIZEN, defect="expired")))
    assert verdict.reason == "expired"
    assert verdict.card is not None
    assert verdict.card.expiry_date == issuer.EXPIRED_EXPIRY
    assert verdict.card.name_latin == CITIZEN.name_latin


def test_genuine_card_expires_after_its_expiry_date() -> None:
    read = read_of(GENUINE)
    assert verify(read, today=CITIZEN.expiry_date).authentic
    assert verify(read, today=date(CITIZEN.expiry_date.year, 12, 31)).reason == "expired"


def test_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect"):
        issuer.demo_profile(CITIZEN, defect="scratched")


# --------------------------------------------------------------------------- trust


def test_untrusted_store_rejects_genuine_cards() -> None:
    for citizen in DEMO_CITIZENS:
        assert verify(read_of(issuer.demo_profile(citizen)), TrustStore()).reason == (
            "unknown_issuer")


def test_a_same_named_ca_with_another_key_is_not_the_sandbox_ca() -> None:
    rogue = TrustStore([issuer._issuer(trusted=False).ca_cert])
    assert verify(read_of(GENUINE), rogue).reason == "unknown_issuer"
    assert verify(read_of(issuer.demo_profile(CITIZEN, defect="unknown-issuer")),
                  rogue + TRUST).authentic


@pytest.mark.parametrize("today", [date(2019, 12, 31), date(2046, 1, 1)])
def test_certificates_outside_their_validity(today: date) -> None:
    assert verify(read_of(GENUINE), today=today).reason == "unknown_issuer"


def resigned(profile: CardProfile, signer: ec.EllipticCurvePrivateKey,
             certificate: x509.Certificate, files: dict[str, bytes] | None = None) -> CardProfile:
    files = dict(profile.files if files is None else files)
    hash_list = encode_hash_list(files)
    files[SECURITY.name] = encode_security_object(
        hash_list, certificate.public_bytes(serialization.Encoding.DER),
        signer.sign(hash_list, ec.ECDSA(hashes.SHA256())))
    return CardProfile(files=files, chip_private_key_pem=profile.chip_private_key_pem)


def signer_certificate(key: ec.EllipticCurvePrivateKey, *, ca: bool = False,
                       usage: bool = True) -> x509.Certificate:
    ca_key = issuer.label_key(issuer.CA_KEY_LABEL)
    builder = (x509.CertificateBuilder().subject_name(issuer.DS_NAME)
               .issuer_name(issuer.CA_NAME).public_key(key.public_key()).serial_number(77)
               .not_valid_before(issuer.VALID_FROM).not_valid_after(issuer.VALID_UNTIL)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage:
        builder = builder.add_extension(issuer.key_usage(digital_signature=True,
                                                         key_cert_sign=ca), critical=True)
    return builder.sign(ca_key, hashes.SHA256())


def test_a_properly_certified_second_document_signer_is_accepted() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    assert verify(read_of(resigned(GENUINE, key, signer_certificate(key)))).authentic


@pytest.mark.parametrize(("ca", "usage"), [(True, True), (False, False)],
                         ids=["signer-is-a-ca", "no-key-usage"])
def test_certificates_that_may_not_sign_cards(ca: bool, usage: bool) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    profile = resigned(GENUINE, key, signer_certificate(key, ca=ca, usage=usage))
    assert verify(read_of(profile)).reason == "unknown_issuer"


def test_signer_key_on_another_curve_is_a_bad_signature() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    assert verify(read_of(resigned(GENUINE, key, signer_certificate(key)))).reason == (
        "bad_signature")


def test_signature_by_another_key_than_the_certified_one() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    ds_cert = issuer._issuer().ds_cert
    assert verify(read_of(resigned(GENUINE, key, ds_cert))).reason == "bad_signature"


def test_replaced_chip_key_is_an_altered_file() -> None:
    # A forger's own chip key would pass active authentication: the hash catches it.
    forged = issuer.demo_profile(DEMO_CITIZENS[1])
    files = {**GENUINE.files, CHIP_KEY.name: forged.files[CHIP_KEY.name]}
    read = read_of(forged, files)
    assert verify(read).reason == "altered_file"


def test_trust_store_from_pem_files(tmp_path: Path) -> None:
    rogue_pem = issuer._issuer(trusted=False).ca_cert.public_bytes(serialization.Encoding.PEM)
    both = tmp_path / "both.pem"
    both.write_bytes(issuer.ca_certificate_pem() + rogue_pem)
    store = TrustStore.load([both])
    assert len(store) == 2
    assert verify(read_of(GENUINE), store).authentic
    assert len(TrustStore.load([both, both])) == 2  # the same CA twice counts once
    assert "Sandbox Resident ID Card CA" in repr(store)


def test_trust_store_refuses_what_is_not_a_ca(tmp_path: Path) -> None:
    leaf = tmp_path / "ds.pem"
    leaf.write_bytes(issuer._issuer().ds_cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(TrustStoreError, match="not a CA"):
        TrustStore.load([leaf])
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(TrustStoreError, match=r"junk\.pem: not a PEM certificate"):
        TrustStore.load([junk])
    with pytest.raises(TrustStoreError, match="cannot read"):
        TrustStore.load([tmp_path / "absent.pem"])


def test_trust_store_from_config(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_bytes(issuer.ca_certificate_pem())
    assert len(TrustStore.from_config(IdentityConfig((str(pem),)))) == 1
    assert len(TrustStore.from_config(IdentityConfig(), sandbox=TRUST)) == 1
    with pytest.raises(TrustStoreError, match=r"identity\.trusted_issuers"):
        TrustStore.from_config(IdentityConfig())
    with pytest.raises(TrustStoreError, match=r"identity\.trusted_issuers: .*absent\.pem"):
        TrustStore.from_config(IdentityConfig((str(tmp_path / "absent.pem"),)))


# --------------------------------------------------------------------------- active auth


def test_replayed_response_to_another_challenge() -> None:
    old = read_of(GENUINE)
    replay = ChipRead(files=dict(GENUINE.files), challenge=os.urandom(16),
                      response=old.response)
    assert verify(replay).reason == "cloned_chip"


@pytest.mark.parametrize("response", [b"", bytes(64), b"\xff" * 64, b"\x01" * 63, b"\x01" * 65],
                         ids=["none", "zeros", "ones", "short", "long"])
def test_missing_or_malformed_response(response: bytes) -> None:
    read = read_of(GENUINE)
    read.response = response
    assert verify(read).reason == "cloned_chip"


@pytest.mark.parametrize("length", [0, 8, 15, 17, 32])
def test_challenge_of_the_wrong_length(length: int) -> None:
    challenge = os.urandom(length)
    read = ChipRead(files=dict(GENUINE.files), challenge=challenge,
                    response=chip_sign(GENUINE, challenge))
    assert verify(read).reason == "cloned_chip"


def test_high_s_response_is_still_the_chips_signature() -> None:
    # ECDSA (r, n - s) verifies too; a chip may return either, both prove the key.
    read = read_of(GENUINE)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    s = int.from_bytes(read.response[32:], "big")
    read.response = read.response[:32] + (n - s).to_bytes(32, "big")
    assert verify(read).authentic


# --------------------------------------------------------------------------- damaged input


@pytest.mark.parametrize("missing", [f.name for f in FILES])
def test_missing_file(missing: str) -> None:
    files = {k: v for k, v in GENUINE.files.items() if k != missing}
    assert verify(read_of(GENUINE, files)).reason == "missing_file"


@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_oversized_file(name: str) -> None:
    size = next(f.max_size for f in FILES if f.name == name)
    files = {**GENUINE.files, name: GENUINE.files[name] + bytes(size)}
    assert verify(read_of(GENUINE, files)).reason == "damaged_file"


def sod_with(hash_list: bytes) -> bytes:
    sod = tlv.decode_single(GENUINE.files[SECURITY.name], 0x77)
    return tlv.encode(0x77, [hash_list, *sod.children[1:]])


def entry(fid: int, digest: bytes = bytes(32)) -> bytes:
    return tlv.encode(0x30, [tlv.encode(0x80, fid.to_bytes(2, "big")), tlv.encode(0x81, digest)])


@pytest.mark.parametrize("hash_list", [
    tlv.encode(0xA0, [entry(0x0101), entry(0x0102)]),  # the chip key is not covered
    tlv.encode(0xA0, [entry(0x0101), entry(0x0102), entry(0x0103), entry(0x0104)]),
    tlv.encode(0xA0, [entry(0x0101), entry(0x0101), entry(0x0102), entry(0x0103)]),
    tlv.encode(0xA0, [entry(0x0101), entry(0x0102), entry(0x0103, bytes(20))]),
    tlv.encode(0xA0, []),
], ids=["uncovered", "extra", "twice", "short-hash", "empty"])
def test_security_object_that_does_not_cover_exactly_the_files(hash_list: bytes) -> None:
    files = {**GENUINE.files, SECURITY.name: sod_with(hash_list)}
    assert verify(read_of(GENUINE, files)).reason == "damaged_file"


@pytest.mark.parametrize("name", [CHIP_KEY.name, SECURITY.name])
@pytest.mark.parametrize("raw", [b"", b"\x6f\x00", b"\x77\x00", b"\x30\x00",
                                 tlv.encode(0x6F, [tlv.encode(0x80, b"\x30\x03\x02\x01\x01")])])
def test_damaged_security_files(name: str, raw: bytes) -> None:
    files = {**GENUINE.files, name: raw}
    assert verify(read_of(GENUINE, files)).reason == "damaged_file"


def test_chip_key_on_another_curve_is_a_damaged_file() -> None:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    files = {**GENUINE.files, CHIP_KEY.name: tlv.encode(0x6F, [tlv.encode(0x80, spki)])}
    assert verify(read_of(GENUINE, files)).reason == "damaged_file"


def test_inconsistent_dates_come_from_the_parser() -> None:
    c = CITIZEN
    profile = issuer.personalize(c.card_number, c.id_number, c.name_zh, c.name_latin, c.sex,
                                 c.expiry_date, c.issue_date, c.expiry_date, b"\xff\xd8\xff")
    assert verify(read_of(profile)).reason == "inconsistent"


def test_huge_declared_lengths_do_not_allocate() -> None:
    photo = b"\x75\x83\xff\xff\xf0\x5f\x2e\x83\xff\xff\xe0" + bytes(PHOTO.max_size - 11)
    identity = b"\x61\x83\xff\xff\xff" + bytes(IDENTITY.max_size - 5)
    files = {**GENUINE.files, PHOTO.name: photo}
    tracemalloc.start()
    try:
        first = verify(read_of(GENUINE, files))
        second = verify(read_of(GENUINE, {**files, IDENTITY.name: identity}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.reason == second.reason == "damaged_file"
    assert peak < 3_000_000


# --------------------------------------------------------------------------- fuzzing


@st.composite
def mutated_files(draw: st.DrawFn) -> dict[str, bytes]:
    name = draw(st.sampled_from([f.name for f in FILES]))
    raw = GENUINE.files[name]
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
    # Most of the photo is JPEG data; aim at the headers often as well.
    i = draw(st.one_of(st.integers(0, min(len(raw) - 1, 64)), st.integers(0, len(raw) - 1)))
    if kind == "flip":
        mutated = raw[:i] + bytes([raw[i] ^ (1 << draw(st.integers(0, 7)))]) + raw[i + 1:]
    elif kind == "truncate":
        mutated = raw[:i]
    elif kind == "insert":
        mutated = raw[:i] + draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    else:
        mutated = raw[:i] + raw[i + 1:]
    assert mutated != raw
    return {**GENUINE.files, name: mutated}


@settings(max_examples=300, deadline=None)
@given(mutated_files())
def test_mutated_genuine_card_is_never_authentic(files: dict[str, bytes]) -> None:
    assert not verify(read_of(GENUINE, files)).authentic


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([f.name for f in FILES]),
                       st.one_of(st.binary(max_size=200),
                                 st.sampled_from(list(GENUINE.files.values()))),
                       max_size=4),
       st.binary(max_size=20), st.binary(max_size=70))
def test_arbitrary_reads_get_a_verdict(files: dict[str, bytes], challenge: bytes,
                                       response: bytes) -> None:
    verdict = verify(ChipRead(files=files, challenge=challenge, response=response))
    assert not verdict.authentic
