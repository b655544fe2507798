"""The ID card parser, which trusts nothing read from a card, and the simulated face matcher."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.app import demo_card_files
from kiosk.identity.card import (
    IDENTITY_FILE,
    MAX_PHOTO_BYTES,
    PHOTO_FILE,
    CardDataError,
    IdCard,
    encode_identity,
    parse_card,
)
from kiosk.identity.face import FaceDecision, FaceOutcome, SimulatedFaceMatcher
from kiosk.identity.frames import Frame
from kiosk.sandbox.demo import DEMO_CITIZENS, DemoCitizen, portrait_jpeg

CITIZEN = DEMO_CITIZENS[2]  # the longest name, with a non-ASCII letter
PHOTO = portrait_jpeg(CITIZEN)
TEXT_FIELDS = ("card_number", "id_number", "name_zh", "name_latin", "sex")
DATE_FIELDS = ("date_of_birth", "issue_date", "expiry_date")
FIELDS = TEXT_FIELDS + DATE_FIELDS


def record_of(citizen: DemoCitizen) -> dict[str, Any]:
    return json.loads(demo_card_files(citizen)[IDENTITY_FILE])


def files_with(record: Any, photo: bytes | None = PHOTO) -> dict[str, bytes]:
    files = {IDENTITY_FILE: json.dumps(record, ensure_ascii=False).encode("utf-8")}
    if photo is not None:
        files[PHOTO_FILE] = photo
    return files


def changed(**fields: Any) -> dict[str, Any]:
    """The citizen's record with some fields replaced (``...`` removes a field)."""
    record = record_of(CITIZEN)
    for key, value in fields.items():
        if value is ...:
            del record[key]
        else:
            record[key] = value
    return record


def assert_no_personal_data(error: BaseException) -> None:
    text = f"{error} {error!r} {error.args}"
    for secret in (CITIZEN.name_zh, CITIZEN.name_latin, CITIZEN.id_number,
                   CITIZEN.card_number, CITIZEN.date_of_birth.isoformat()):
        assert secret not in text


# --------------------------------------------------------------------------- good cards


@pytest.mark.parametrize("citizen", DEMO_CITIZENS, ids=lambda c: c.card_number)
def test_parse_demo_card(citizen: DemoCitizen) -> None:
    files = demo_card_files(citizen)
    card = parse_card(files)
    assert card.card_number == citizen.card_number
    assert card.id_number == citizen.id_number
    assert card.name_zh == citizen.name_zh
    assert card.name_latin == citizen.name_latin
    assert card.sex == citizen.sex
    assert card.date_of_birth == citizen.date_of_birth
    assert card.issue_date == citizen.issue_date
    assert card.expiry_date == citizen.expiry_date
    assert bytes(card.photo_jpeg) == files[PHOTO_FILE]
    assert isinstance(card.photo_jpeg, bytearray)


def test_encode_identity_round_trips() -> None:
    card = parse_card(demo_card_files(CITIZEN))
    again = parse_card({IDENTITY_FILE: encode_identity(card), PHOTO_FILE: PHOTO})
    assert again == IdCard(card.card_number, card.id_number, card.name_zh, card.name_latin,
                           card.sex, card.date_of_birth, card.issue_date, card.expiry_date,
                           bytearray(PHOTO))


def test_photo_is_a_copy_of_the_files() -> None:
    files = demo_card_files(CITIZEN)
    card = parse_card(files)
    card.wipe()
    assert files[PHOTO_FILE].startswith(b"\xff\xd8")


def test_photo_of_the_largest_allowed_size() -> None:
    photo = b"\xff\xd8" + bytes(MAX_PHOTO_BYTES - 2)
    assert len(parse_card(files_with(changed(), photo)).photo_jpeg) == MAX_PHOTO_BYTES


def test_repr_hides_personal_data() -> None:
    card = parse_card(demo_card_files(CITIZEN))
    for text in (repr(card), str(card), f"{card}", repr([card]), repr({"card": card})):
        assert CITIZEN.name_zh not in text
        assert CITIZEN.name_latin not in text
        assert CITIZEN.id_number not in text
        assert CITIZEN.card_number not in text
        assert "redacted" in text


def test_wipe_clears_photo_and_text() -> None:
    card = parse_card(demo_card_files(CITIZEN))
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
    card = parse_card(demo_card_files(CITIZEN))
    assert card.expired(today) is expired


# --------------------------------------------------------------------------- damaged cards


def damaged(code: str, files: dict[str, bytes]) -> None:
    with pytest.raises(CardDataError) as err:
        parse_card(files)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)
    assert_no_personal_data(err.value)


def test_missing_identity_file() -> None:
    damaged("missing_file", {PHOTO_FILE: PHOTO})
    damaged("missing_file", {})


def test_missing_photo() -> None:
    damaged("missing_file", files_with(changed(), photo=None))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"{\"name_latin\": \"SOUSA\"",
        b"\xff\xfe{}",  # not UTF-8
        json.dumps(changed()).encode("utf-16"),
        b"\xef\xbb\xbf" + json.dumps(changed()).encode(),  # a BOM json refuses
        b"[" * 100_000,  # nesting deeper than the parser can go
        b"1" * 5000,  # an integer longer than Python converts
        b'{"card_number": ' + b"9" * 5000 + b"}",
    ],
    ids=["empty", "truncated", "text", "unterminated", "not-utf8", "utf16", "bom", "deep",
         "huge-int", "huge-int-field"],
)
def test_identity_not_readable(raw: bytes) -> None:
    damaged("damaged_file", {IDENTITY_FILE: raw, PHOTO_FILE: PHOTO})


@pytest.mark.parametrize("record", [[], [changed()], "text", 7, None, True],
                         ids=["list", "list-of-record", "string", "number", "null", "bool"])
def test_identity_not_a_record(record: Any) -> None:
    damaged("damaged_file", files_with(record))


BAD_TEXT = [..., None, 7, 7.5, True, [], {}, ["x"], "", "   ", "\t\n",
            CITIZEN.name_latin * 4]  # the last: too long (over 80 characters)


@pytest.mark.parametrize("value", BAD_TEXT, ids=repr)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_bad_text_field(field: str, value: Any) -> None:
    damaged("damaged_file", files_with(changed(**{field: value})))


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_text_field_of_80_characters_is_accepted_unless_sex(field: str) -> None:
    files = files_with(changed(**{field: "A" * 80}))
    if field == "sex":
        damaged("damaged_file", files)
    else:
        assert getattr(parse_card(files), field) == "A" * 80


@pytest.mark.parametrize("sex", ["X", "m", "f", "MF", "男", "U"])
def test_bad_sex(sex: str) -> None:
    damaged("damaged_file", files_with(changed(sex=sex)))


BAD_DATES = [..., None, 20210503, 2021.5, [], {}, "", "today", "2021-13-01", "2021-02-30",
             "2021-5-3", "03/05/2021", "2021-05-03x", CITIZEN.name_latin]


@pytest.mark.parametrize("value", BAD_DATES, ids=repr)
@pytest.mark.parametrize("field", DATE_FIELDS)
def test_bad_date_field(field: str, value: Any) -> None:
    damaged("damaged_file", files_with(changed(**{field: value})))


@pytest.mark.parametrize(
    ("dob", "issue", "expiry"),
    [
        ("2000-01-01", "1999-12-31", "2030-01-01"),  # issued before birth
        ("1980-01-01", "2020-01-01", "2020-01-01"),  # expires when issued
        ("1980-01-01", "2020-01-01", "2019-12-31"),  # expires before issue
        ("2040-01-01", "2020-01-01", "2030-01-01"),
    ],
)
def test_dates_out_of_order(dob: str, issue: str, expiry: str) -> None:
    damaged("inconsistent",
            files_with(changed(date_of_birth=dob, issue_date=issue, expiry_date=expiry)))


def test_issued_on_the_day_of_birth_is_consistent() -> None:
    card = parse_card(files_with(changed(date_of_birth="2020-01-01", issue_date="2020-01-01")))
    assert card.date_of_birth == card.issue_date == date(2020, 1, 1)


@pytest.mark.parametrize(
    "photo",
    [b"", b"\xff", b"\x89PNG\r\n\x1a\n" + bytes(100), b"GIF89a", b"\xd8\xff" + bytes(10),
     b"\xff\xd8" + bytes(MAX_PHOTO_BYTES - 1)],
    ids=["empty", "one-byte", "png", "gif", "swapped-magic", "too-large"],
)
def test_bad_photo(photo: bytes) -> None:
    damaged("damaged_file", files_with(changed(), photo))


# --------------------------------------------------------------------------- fuzzing


def parse_or_refuse(files: dict[str, bytes]) -> IdCard | None:
    try:
        card = parse_card(files)
    except CardDataError as e:
        assert e.code in {"missing_file", "damaged_file", "inconsistent"}
        return None
    assert isinstance(card, IdCard)
    return card


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_identity_bytes(raw: bytes) -> None:
    assert parse_or_refuse({IDENTITY_FILE: raw, PHOTO_FILE: PHOTO}) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_identity_bytes_after_a_json_prefix(tail: bytes) -> None:
    raw = json.dumps(changed()).encode()[:-1] + tail
    parse_or_refuse({IDENTITY_FILE: raw, PHOTO_FILE: PHOTO})


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=100)
    | st.dates().map(date.isoformat),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10,
)
GOOD = record_of(CITIZEN)
# Each field: absent, the good value, a plausible value, or anything at all.
FIELD_VALUES = {
    name: st.one_of(st.just(...), st.just(GOOD[name]), JSON_VALUES,
                    st.sampled_from(["M", "F"]) if name == "sex"
                    else st.dates().map(date.isoformat) if name in DATE_FIELDS
                    else st.text(min_size=1, max_size=90))
    for name in FIELDS
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries(FIELD_VALUES),
       st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=3),
       st.sampled_from([PHOTO, None, b"", b"\xff\xd8tiny"]))
def test_arbitrary_identity_records(fields: dict[str, Any], extra: dict[str, Any],
                                    photo: bytes | None) -> None:
    record = {**extra, **{k: v for k, v in fields.items() if v is not ...}}
    card = parse_or_refuse(files_with(record, photo))
    if card is not None:
        assert all(isinstance(getattr(card, k), str) and getattr(card, k).strip()
                   for k in TEXT_FIELDS)
        assert card.sex in ("M", "F")
        assert card.date_of_birth <= card.issue_date < card.expiry_date
        assert bytes(card.photo_jpeg) == photo


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=8),
                    max_leaves=20))
def test_arbitrary_json_documents(document: Any) -> None:
    parse_or_refuse(files_with(document))


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
def test_simulated_face_matcher(subjects: tuple[str | None, ...],
                                outcome: FaceOutcome) -> None:
    decision = SimulatedFaceMatcher().verify(PHOTO, frames(*subjects))
    assert isinstance(decision, FaceDecision)
    assert decision.outcome is outcome
    assert decision.matched is (outcome is FaceOutcome.MATCH)
    assert decision.frames_used == sum(1 for s in subjects if s)
    assert (decision.score is None) is (outcome is FaceOutcome.NO_FACE)


def test_simulated_face_matcher_needs_a_card_photo() -> None:
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
