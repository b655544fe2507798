"""The holder's data as read from the card, and the parser of the card's files.

The card's files are bytes from outside the kiosk: the parser trusts nothing,
and every way a file can be wrong ends in ``CardDataError`` with a reason code
the journey turns into a message. The formats (BER-TLV, docs/card.md) are read
here and written by ``encode_identity`` / ``encode_photo`` for personalisation.
Whether the files are genuine is ``kiosk.identity.verify``'s question.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from kiosk.identity import tlv
from kiosk.identity.chip import IDENTITY, PHOTO

# Kept for the call sites that name files: the names are ChipFile.name.
IDENTITY_FILE: Final = IDENTITY.name
PHOTO_FILE: Final = PHOTO.name

IDENTITY_TEMPLATE: Final = 0x61
PHOTO_TEMPLATE: Final = 0x75
PHOTO_JPEG: Final = 0x5F2E
# Tag of each identity field inside the 0x61 template (docs/card.md).
IDENTITY_TAGS: Final = {
    "card_number": 0x80, "id_number": 0x81, "name_zh": 0x82, "name_latin": 0x83,
    "sex": 0x84, "date_of_birth": 0x85, "issue_date": 0x86, "expiry_date": 0x87,
}
MAX_NAME_CHARS: Final = 80
_CARD_NUMBER = re.compile(r"[A-Z0-9]{1,16}")
_ID_NUMBER = re.compile(r"[0-9]{7}\([0-9]\)")
_DATE = re.compile(r"[0-9]{8}")
_TEXT = ("card_number", "id_number", "name_zh", "name_latin", "sex")
_DATES = ("date_of_birth", "issue_date", "expiry_date")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class CardDataError(ValueError):
    """The card's data is missing, damaged or inconsistent. ``code`` is stable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class IdCard:
    """One resident ID card's holder data; lives for one session only."""

    card_number: str
    id_number: str
    name_zh: str
    name_latin: str
    sex: str
    date_of_birth: date
    issue_date: date
    expiry_date: date
    photo_jpeg: bytearray = field(repr=False)

    def __repr__(self) -> str:  # never print personal data, even in a traceback
        return "IdCard(<redacted>)"

    def expired(self, today: date) -> bool:
        return today > self.expiry_date

    def wipe(self) -> None:
        """Overwrite the photo and drop the text fields (best effort in Python)."""
        self.photo_jpeg[:] = bytes(len(self.photo_jpeg))
        self.photo_jpeg.clear()
        self.card_number = self.id_number = self.name_zh = self.name_latin = self.sex = ""


def encode_identity(card: IdCard) -> bytes:
    """The identity file as personalisation writes it: fields in ascending tag order."""
    values = {k: getattr(card, k).encode("utf-8") for k in _TEXT}
    values.update({k: getattr(card, k).strftime("%Y%m%d").encode("ascii") for k in _DATES})
    return tlv.encode(IDENTITY_TEMPLATE,
                      [tlv.encode(tag, values[name]) for name, tag in IDENTITY_TAGS.items()])


def encode_photo(jpeg: bytes) -> bytes:
    """The photo file as personalisation writes it."""
    return tlv.encode(PHOTO_TEMPLATE, [tlv.encode(PHOTO_JPEG, jpeg)])


def parse_card(files: dict[str, bytes]) -> IdCard:
    """Build an ``IdCard`` from the card's identity and photo files, or raise
    ``CardDataError`` ("missing_file", "damaged_file" or "inconsistent")."""
    values = parse_identity(_file(files, IDENTITY_FILE, IDENTITY.max_size))
    photo = parse_photo(_file(files, PHOTO_FILE, PHOTO.max_size))
    return IdCard(photo_jpeg=photo, **values)  # type: ignore[arg-type]


def parse_identity(raw: bytes) -> dict[str, str | date]:
    """The identity file's fields by IdCard attribute name."""
    try:
        template = tlv.decode_single(raw, IDENTITY_TEMPLATE, max_depth=2)
        known = set(IDENTITY_TAGS.values())
        for child in template.children:
            if child.tag not in known:
                raise tlv.TlvError(f"unknown tag {child.tag:#x} in the identity template")
        fields = {name: tlv.expect_single(template.children, tag).value
                  for name, tag in IDENTITY_TAGS.items()}
    except tlv.TlvError as e:
        # The TLV message holds tags and offsets only, never a field's value.
        raise CardDataError("damaged_file", f"identity file: {e}") from None
    values: dict[str, str | date] = {
        "card_number": _ascii(fields, "card_number", _CARD_NUMBER),
        "id_number": _ascii(fields, "id_number", _ID_NUMBER),
        "name_zh": _name(fields, "name_zh"),
        "name_latin": _name(fields, "name_latin"),
        "sex": _ascii(fields, "sex", re.compile("[MF]")),
    }
    for name in _DATES:
        values[name] = _date(fields, name)
    dob, issued, expires = (values[k] for k in _DATES)
    if not dob <= issued < expires:  # type: ignore[operator]
        raise CardDataError("inconsistent", "card dates are out of order")
    return values


def parse_photo(raw: bytes) -> bytearray:
    """The JPEG inside the photo file (a copy the session can wipe)."""
    try:
        template = tlv.decode_single(raw, PHOTO_TEMPLATE, max_depth=2)
        if len(template.children) != 1:
            raise tlv.TlvError("the photo template must hold exactly one object")
        jpeg = tlv.expect_single(template.children, PHOTO_JPEG).value
    except tlv.TlvError as e:
        raise CardDataError("damaged_file", f"photo file: {e}") from None
    if not jpeg.startswith(b"\xff\xd8\xff"):
        raise CardDataError("damaged_file", "photo is not a JPEG")
    return bytearray(jpeg)


def _file(files: dict[str, bytes], name: str, max_size: int) -> bytes:
    raw = files.get(name)
    if raw is None:
        raise CardDataError("missing_file", f"no {name} file")
    if not isinstance(raw, bytes | bytearray) or len(raw) > max_size:
        raise CardDataError("damaged_file", f"{name} file is larger than {max_size} bytes")
    return bytes(raw)


def _ascii(fields: dict[str, bytes], name: str, pattern: re.Pattern[str]) -> str:
    try:
        text = fields[name].decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if not pattern.fullmatch(text):
        raise CardDataError("damaged_file", f"identity field {name} is invalid")
    return text


def _name(fields: dict[str, bytes], name: str) -> str:
    try:
        text = fields[name].decode("utf-8")
    except UnicodeDecodeError:
        raise CardDataError("damaged_file", f"identity field {name} is not UTF-8") from None
    # Control, line-separator and bidi-override characters would let a card
    # break or disguise the screen and the printout; no real name has them.
    # Private-use and unassigned code points stay allowed: rare Chinese
    # characters (HKSCS / MSCS) are mapped there on some systems.
    bad = any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI
              for ch in text)
    if bad or not text.strip() or text != text.strip() or len(text) > MAX_NAME_CHARS:
        raise CardDataError("damaged_file", f"identity field {name} is invalid")
    return text


def _date(fields: dict[str, bytes], name: str) -> date:
    raw = fields[name]
    text = raw.decode("ascii") if raw.isascii() else ""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError("damaged_file", f"identity field {name} is not a date") from None
