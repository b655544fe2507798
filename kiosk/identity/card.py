"""The holder's data as read from the card, and the parser of the card's files.

The card's files are bytes from outside the kiosk: the parser trusts nothing,
and every way a file can be wrong ends in ``CardDataError`` with a reason code
the journey turns into a message. The chip layout (TLV files, signed security
object, active authentication) is specified in docs/card.md; this module reads
the identity and photo files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

IDENTITY_FILE = "identity"
PHOTO_FILE = "photo"
MAX_PHOTO_BYTES = 64 * 1024


class CardDataError(ValueError):
    """The card's data is missing, damaged or inconsistent. ``code`` is stable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


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


_TEXT_FIELDS = ("card_number", "id_number", "name_zh", "name_latin", "sex")
_DATE_FIELDS = ("date_of_birth", "issue_date", "expiry_date")


def encode_identity(card: IdCard) -> bytes:
    """The identity file as the card personaliser writes it (used by simulators)."""
    record = {k: getattr(card, k) for k in _TEXT_FIELDS}
    record.update({k: getattr(card, k).isoformat() for k in _DATE_FIELDS})
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def parse_card(files: dict[str, bytes]) -> IdCard:
    """Build an ``IdCard`` from the card's files, or raise ``CardDataError``."""
    raw = files.get(IDENTITY_FILE)
    if raw is None:
        raise CardDataError("missing_file", "no identity file")
    try:
        record = json.loads(raw.decode("utf-8"))
    # ValueError too: json refuses integers of more than 4300 digits with a bare one.
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError):
        raise CardDataError("damaged_file", "identity file is not readable") from None
    if not isinstance(record, dict):
        raise CardDataError("damaged_file", "identity file is not a record")
    values: dict[str, object] = {}
    for key in _TEXT_FIELDS:
        value = record.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > 80:
            raise CardDataError("damaged_file", f"identity field {key} is missing or invalid")
        values[key] = value
    for key in _DATE_FIELDS:
        value = record.get(key)
        try:
            values[key] = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            values[key] = None
        if values[key] is None:
            raise CardDataError("damaged_file", f"identity field {key} is not a date")
    if values["sex"] not in ("M", "F"):
        raise CardDataError("damaged_file", "identity field sex is invalid")
    if not values["date_of_birth"] <= values["issue_date"] < values["expiry_date"]:  # type: ignore[operator]
        raise CardDataError("inconsistent", "card dates are out of order")
    photo = files.get(PHOTO_FILE)
    if photo is None:
        raise CardDataError("missing_file", "no photo file")
    if not photo.startswith(b"\xff\xd8") or len(photo) > MAX_PHOTO_BYTES:
        raise CardDataError("damaged_file", "photo is not a JPEG of a plausible size")
    return IdCard(photo_jpeg=bytearray(photo), **values)  # type: ignore[arg-type]
