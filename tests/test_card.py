"""The ID card parser, which trusts nothing read from a card, and the simulated face matcher."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.identity import tlv
from kiosk.identity.card import (
    IDENTITY_FILE,
    IDENTITY_TAGS,
    PHOTO_FILE,
    CardDataError,
    IdCard,
    encode_identity,
    encode_photo,
    parse_card,
)
from kiosk.identity.chip import IDENTITY, PHOTO
from kiosk.identity.face import FaceDecision, FaceOutcome, SimulatedFaceMatcher
from kiosk.identity.frames import Frame
from kiosk.sandbox.demo import DEMO_CITIZENS, DemoCitizen, portrait_jpeg
from kiosk.sandbox.issuer import demo_profile

CITIZEN = DEMO_CITIZENS[2]  # the longest name, with a non-ASCII letter
PORTRAIT = portrait_jpeg(CITIZEN)
PHOTO_BYTES = encode_photo(PORTRAIT)
TEXT_FIELDS = ("card_number", "id_number", "name_zh", "name_latin", "sex")
DATE_FIELDS = ("date_of_birth", "issue_date", "expiry_date")
FIELDS = TEXT_FIELDS + DATE_FIELDS


def values_of(citizen: DemoCitizen) -> dict[str, bytes]:
    """The identity file's raw field values by name, as the issuer wrote them."""
    template = tlv.decode_single(demo_profile(citizen).files[IDENTITY_FILE], 0x61)
    by_tag = {t.tag: t.value for t in template.children}
    return {name: by_tag[tag] for name, tag in IDENTITY_TAGS.items()}


GOOD = values_of(CITIZEN)


def identity(**fields: bytes | str | None) -> bytes:
    """An identity file with some fields replaced (None leaves a field out)."""
    values: dict[str, bytes | str | None] = {**GOOD, **fields}
    return tlv.encode(0x61, [
        tlv.encode(IDENTITY_TAGS[name], v.encode() if isinstance(v, str) else v)
        for name, v in values.items() if v is not None
    ])


def files_with(identity_file: bytes, photo: bytes | None = PHOTO_BYTES) -> dict[str, bytes]:
    files = {IDENTITY_FILE: identity_file}
    if photo is not None:
        files[PHOTO_FILE] = photo
    return files


def assert_no_personal_data(error: BaseException) -> None:
    text = f"{error} {error!r} {error.args} {getattr(error, 'detail', '')}"
    for secret in (CITIZEN.name_zh, CITIZEN.name_latin, CITIZEN.id_number,
                   CITIZEN.card_number, CITIZEN.date_of_birth.strftime("%Y%m%d"),
                   CITIZEN.date_of_birth.isoformat()):
        assert secret not in text


# --------------------------------------------------------------------------- good cards


@pytest.mark.parametrize("citizen", DEMO_CITIZENS, ids=lambda c: c.card_number)
def test_parse_demo_card(citizen: DemoCitizen) -> None:
    files = demo_profile(citizen).files
    card = parse_card(files)
    assert card.card_number == citizen.card_number
    assert card.id_number == citizen.id_number
    assert card.name_zh == citizen.name_zh
    assert card.name_latin == citizen.name_latin
    assert card.sex == citizen.sex
    assert card.date_of_birth == citizen.date_of_birth
    assert card.issue_date == citizen.issue_date
    assert card.expiry_date == citizen.expiry_date
    assert bytes(card.photo_jpeg) == portrait_jpeg(citizen)
    assert isinstance(card.photo_jpeg, bytearray)


def test_encode_identity_round_trips() -> None:
    card = parse_card(files_with(identity()))
    again = parse_card({IDENTITY_FILE: encode_identity(card), PHOTO_FILE: PHOTO_BYTES})
    assert again == IdCard(card.card_number, card.id_number, card.name_zh, card.name_latin,
                           card.sex, card.date_of_birth, card.issue_date, card.expiry_date,
                           bytearray(PORTRAIT))
    assert encode_identity(card) == identity()


def test_identity_fields_in_any_order() -> None:
    template = tlv.decode_single(identity(), 0x61)
    shuffled = tlv.encode(0x61, list(reversed(template.children)))
    assert parse_card(files_with(shuffled)).name_latin == CITIZEN.name_latin


def test_photo_is_a_copy_of_the_files() -> None:
    files = files_with(identity())
    card = parse_card(files)
    card.wipe()
    assert files[PHOTO_FILE] == PHOTO_BYTES


def test_photo_of_the_largest_allowed_size() -> None:
    header = len(encode_photo(b"")) + 4  # both lengths grow to 0x82 forms
    jpeg = b"\xff\xd8\xff" + bytes(PHOTO.max_size - header - 3)
    photo = encode_photo(jpeg)
    assert len(photo) == PHOTO.max_size
    assert len(parse_card(files_with(identity(), photo)).photo_jpeg) == len(jpeg)
    too_big = encode_photo(jpeg + b"\x00")
    damaged("damaged_file", files_with(identity(), too_big))


def test_repr_hides_personal_data() -> None:
    card = parse_card(files_with(identity()))
    for text in (repr(card), str(card), f"{card}", repr([card]), repr({"card": card})):
        assert CITIZEN.name_zh not in text
        assert CITIZEN.name_latin not in text
        assert CITIZEN.id_number not in text
        assert CITIZEN.card_number not in text
        assert "redacted" in text


def test_wipe_clears_photo_and_text() -> None:
    card = parse_card(files_with(identity()))
    photo = card.photo_jpeg
    assert len(photo) > 0
    card.wipe()
    assert photo == bytearray()  # the same buffer, emptied in place
    assert card.photo_jpeg is photo
    for name in TEXT_FIELDS:
        assert getattr(card, name) == ""
    card.wipe()  # twice is harmless
    assert card.name_latin == ""


@pytest.mark.parametrize(
    ("today", "expired"),
    [
        (CITIZEN.issue_date, False),
        (CITIZEN.expiry_date - timedelta(days=1), False),
        (CITIZEN.expiry_date, False),  # valid through its expiry date
        (CITIZEN.expiry_date + timedelta(days=1), True),
        (date(2099, 1, 1), True),
    ],
)
def test_expired(today: date, expired: bool) -> None:
    card = parse_card(files_with(identity()))
    assert card.expired(today) is expired


# --------------------------------------------------------------------------- damaged cards


def damaged(code: str, files: dict[str, bytes]) -> None:
    with pytest.raises(CardDataError) as err:
        parse_card(files)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)
    assert_no_personal_data(err.value)


def test_missing_files() -> None:
    damaged("missing_file", {PHOTO_FILE: PHOTO_BYTES})
    damaged("missing_file", {})
    damaged("missing_file", files_with(identity(), photo=None))


GOOD_IDENTITY = identity()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x61",
        GOOD_IDENTITY[:-1],  # truncated value
        GOOD_IDENTITY[:1],  # truncated length
        GOOD_IDENTITY + b"\x00",  # trailing byte
        GOOD_IDENTITY + GOOD_IDENTITY,  # two templates
        b"\x62" + GOOD_IDENTITY[1:],  # wrong template
        b"\x61\x80" + GOOD_IDENTITY[2:] + b"\x00\x00",  # indefinite length
        b"\x61\x82\xff\xff" + GOOD_IDENTITY[2:],  # length past the end
        b"\x61\x84\x00\x00\x00" + GOOD_IDENTITY[1:],  # 4-byte length
        tlv.encode(0x61, [GOOD_IDENTITY]),  # a template in the template
        identity()[:2] + b"\x9f\x01\x00" + identity()[2:],  # outer length now wrong
        b'{"card_number": "C0000003"}',  # the old JSON stand-in
        b"\x61\x82\x07\xfc" + bytes(2044),  # zero tags inside
        b"\x61" * 5000,
    ],
    ids=["empty", "tag-only", "truncated", "truncated-length", "trailing", "twice",
         "wrong-template", "indefinite", "overlong", "4-byte-length", "nested",
         "length-mismatch", "json", "zeros", "deep"],
)
def test_identity_not_readable(raw: bytes) -> None:
    damaged("damaged_file", files_with(raw))


def test_identity_file_too_large() -> None:
    raw = identity(name_latin="A" * 80)
    raw = tlv.encode(0x61, [*tlv.decode_single(raw, 0x61).children,
                            tlv.encode(0x88, bytes(IDENTITY.max_size))])
    damaged("damaged_file", files_with(raw))


@pytest.mark.parametrize("name", FIELDS)
def test_missing_field(name: str) -> None:
    damaged("damaged_file", files_with(identity(**{name: None})))


@pytest.mark.parametrize("name", FIELDS)
def test_repeated_field(name: str) -> None:
    raw = tlv.encode(0x61, [*tlv.decode_single(identity(), 0x61).children,
                            tlv.encode(IDENTITY_TAGS[name], GOOD[name])])
    damaged("damaged_file", files_with(raw))


@pytest.mark.parametrize("extra", [tlv.encode(0x88, b"x"), tlv.encode(0x5F2E, b"x"),
                                   tlv.encode(0xA0, [])])
def test_unknown_tag_in_identity(extra: bytes) -> None:
    raw = tlv.encode(0x61, [*tlv.decode_single(identity(), 0x61).children, extra])
    damaged("damaged_file", files_with(raw))


BAD_VALUES = {
    "card_number": [b"", b"c0000001", b"C 000001", b"C0000001\x00", b"A" * 17, "Ｃ0000001",
                    b"\xff"],
    "id_number": [b"", b"5215299", b"5215299(88)", b"521529(8)", b"5215299[8]", b"52152998",
                  b"5215299(8) ", "５215299(8)", b"\x80"],
    "name_zh": [b"", b" ", b"\xe9\x99", b"\xff\xfe", "蘇\x00美雲", "蘇美雲\n", " 蘇美雲",
                "蘇\u202e美雲", "蘇\u2028美雲", "字" * 81],
    "name_latin": [b"", b"\t", "SOUSA\x07", "SOUSA\r\nX", "A" * 81, b"\xc0\x80",
                   b"\xed\xa0\x80"],  # overlong NUL, encoded surrogate: not UTF-8
    "sex": [b"", b"X", b"m", b"f", b"MF", "男", b"U", b"M\x00"],
}
BAD_DATES = [b"", b"2021053", b"202105031", b"20211301", b"20210230", b"2021-5-3",
             b"03052021", b"0000101", b"00000101", b"2021O503", "２0210503", b"\xff" * 8]


@pytest.mark.parametrize(("name", "value"),
                         [(n, v) for n, vs in BAD_VALUES.items() for v in vs]
                         + [(n, v) for n in DATE_FIELDS for v in BAD_DATES],
                         ids=repr)
def test_bad_field(name: str, value: bytes | str) -> None:
    damaged("damaged_file", files_with(identity(**{name: value})))


@pytest.mark.parametrize("name", ["name_zh", "name_latin"])
def test_name_of_80_characters_is_accepted(name: str) -> None:
    assert getattr(parse_card(files_with(identity(**{name: "字" * 80}))), name) == "字" * 80


def test_private_use_characters_are_accepted() -> None:
    # Rare Chinese characters of MSCS/HKSCS live in the private-use area on many systems.
    assert parse_card(files_with(identity(name_zh="蘇\ue000雲"))).name_zh == "蘇\ue000雲"


@pytest.mark.parametrize(
    ("dob", "issue", "expiry"),
    [
        ("20000101", "19991231", "20300101"),  # issued before birth
        ("19800101", "20200101", "20200101"),  # expires when issued
        ("19800101", "20200101", "20191231"),  # expires before issue
        ("20400101", "20200101", "20300101"),
    ],
)
def test_dates_out_of_order(dob: str, issue: str, expiry: str) -> None:
    damaged("inconsistent", files_with(identity(date_of_birth=dob, issue_date=issue,
                                                expiry_date=expiry)))


def test_issued_on_the_day_of_birth_is_consistent() -> None:
    card = parse_card(files_with(identity(date_of_birth="20200101", issue_date="20200101")))
    assert card.date_of_birth == card.issue_date == date(2020, 1, 1)


@pytest.mark.parametrize(
    "photo",
    [b"", PORTRAIT, encode_photo(b""), encode_photo(b"\xff"), encode_photo(b"\xff\xd8"),
     encode_photo(b"\x89PNG\r\n\x1a\n" + bytes(100)), encode_photo(b"GIF89a"),
     encode_photo(b"\xd8\xff\xff" + bytes(10)), tlv.encode(0x75, [tlv.encode(0x5F2F, PORTRAIT)]),
     tlv.encode(0x75, [tlv.encode(0x5F2E, PORTRAIT), tlv.encode(0x5F2E, PORTRAIT)]),
     tlv.encode(0x75, [tlv.encode(0x5F2E, PORTRAIT), tlv.encode(0x80, b"")]),
     tlv.encode(0x7F75, [tlv.encode(0x5F2E, PORTRAIT)]), PHOTO_BYTES[:-1], PHOTO_BYTES + b"\x00",
     tlv.encode(0x75, [])],
    ids=["empty", "bare-jpeg", "empty-jpeg", "one-byte", "soi-only", "png", "gif",
         "swapped-magic", "wrong-tag", "two-photos", "extra-object", "wrong-template",
         "truncated", "trailing", "empty-template"],
)
def test_bad_photo(photo: bytes) -> None:
    damaged("damaged_file", files_with(identity(), photo))


# --------------------------------------------------------------------------- fuzzing


def parse_or_refuse(files: dict[str, bytes]) -> IdCard | None:
    try:
        card = parse_card(files)
    except CardDataError as e:
        assert e.code in {"missing_file", "damaged_file", "inconsistent"}
        assert_no_personal_data(e)
        return None
    assert isinstance(card, IdCard)
    return card


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_identity_bytes(raw: bytes) -> None:
    assert parse_or_refuse(files_with(raw)) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_after_a_valid_prefix(tail: bytes) -> None:
    raw = GOOD_IDENTITY[:-3] + tail
    card = parse_or_refuse(files_with(raw))
    if card is not None:  # only if the tail completed the file with valid digits
        assert len(raw) == len(GOOD_IDENTITY)


FIELD_VALUES = {
    name: st.one_of(st.none(), st.just(GOOD[name]), st.binary(max_size=40),
                    st.text(max_size=90),
                    st.sampled_from([b"M", b"F"]) if name == "sex"
                    else st.dates().map(lambda d: d.strftime("%Y%m%d").encode())
                    if name in DATE_FIELDS
                    else st.from_regex(r"[0-9]{7}\([0-9]\)", fullmatch=True)
                    if name == "id_number"
                    else st.text(min_size=1, max_size=90))
    for name in FIELDS
}


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(FIELD_VALUES),
       st.sampled_from([PHOTO_BYTES, None, b"", encode_photo(b"\xff\xd8\xfftiny")]))
def test_arbitrary_identity_records(fields: dict[str, bytes | str | None],
                                    photo: bytes | None) -> None:
    card = parse_or_refuse(files_with(identity(**fields), photo))
    if card is not None:
        assert all(isinstance(getattr(card, k), str) and getattr(card, k).strip()
                   for k in TEXT_FIELDS)
        assert card.sex in ("M", "F")
        assert card.date_of_birth <= card.issue_date < card.expiry_date
        assert photo is not None
        assert encode_photo(bytes(card.photo_jpeg)) == photo


# --------------------------------------------------------------------------- face matcher


def frames(*subjects: str | None) -> list[Frame]:
    return [Frame(4, 2, bytearray(4 * 2 * 3), float(i), s) for i, s in enumerate(subjects)]


@pytest.mark.parametrize(
    ("subjects", "outcome"),
    [
        (("holder",) * 6, FaceOutcome.MATCH),
        (("holder",), FaceOutcome.MATCH),
        (("holder", "holder", None, None), FaceOutcome.MATCH),  # half the frames suffice
        (("stranger",) * 6, FaceOutcome.MISMATCH),
        (("holder",) * 5 + ("stranger",), FaceOutcome.MISMATCH),  # one stranger is enough
        ((None,) * 6, FaceOutcome.NO_FACE),
        (("holder", None, None), FaceOutcome.NO_FACE),  # too few faces
        ((), FaceOutcome.NO_FACE),
    ],
    ids=repr,
)
def test_simulated_face_verifier(subjects: tuple[str | None, ...],
                                outcome: FaceOutcome) -> None:
    decision = SimulatedFaceMatcher().verify(PHOTO, frames(*subjects))
    assert isinstance(decision, FaceDecision)
    assert decision.outcome is outcome
    assert decision.matched is (outcome is FaceOutcome.MATCH)
    assert decision.frames_used == sum(1 for s in subjects if s)
    assert (decision.score is None) is (outcome is FaceOutcome.NO_FACE)


def test_simulated_face_verifier_needs_a_card_photo() -> None:
    decision = SimulatedFaceMatcher().verify(b"", frames("holder", "holder"))
    assert decision.outcome is FaceOutcome.NO_FACE
    assert not decision.matched


def test_match_scores_below_mismatch() -> None:
    matcher = SimulatedFaceMatcher()
    match = matcher.verify(PHOTO, frames("holder", "holder"))
    mismatch = matcher.verify(PHOTO, frames("stranger", "stranger"))
    assert match.score is not None and mismatch.score is not None
    assert match.score < mismatch.score
    assert SimulatedFaceMatcher.simulated is True
