"""The demo world: a few residents with ID cards and health-voucher balances.

Plausible, not official. The sandbox seeds its database from these records and
the demo's simulated card reader holds their cards, so a demo card always
matches a sandbox citizen.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoCitizen:
    card_number: str
    id_number: str
    name_zh: str
    name_latin: str
    sex: str  # "M" or "F", as printed on the card
    date_of_birth: date
    issue_date: date
    expiry_date: date
    phone: str
    vouchers_available: int
    # Look of the generated portrait: skin, hair and background colours.
    portrait: tuple[str, str, str]


DEMO_CITIZENS: tuple[DemoCitizen, ...] = (
    DemoCitizen(
        "C0000001", "5215299(8)", "陳大文", "CHAN, TAI MAN", "M",
        date(1956, 3, 14), date(2021, 5, 3), date(2031, 5, 3), "+853 6612 3401", 6,
        ("#e0b48f", "#3b3b3b", "#d9e4ef"),
    ),
    DemoCitizen(
        "C0000002", "1288031(2)", "李美玲", "LEI, MEI LENG", "F",
        date(1988, 11, 2), date(2019, 8, 21), date(2029, 8, 21), "+853 6688 1202", 6,
        ("#f1c7a3", "#1f1a17", "#e6ecd9"),
    ),
    DemoCitizen(
        "C0000003", "7360714(5)", "蘇美雲", "SOUSA, MARIA DA CONCEIÇÃO", "F",
        date(1949, 7, 30), date(2022, 1, 11), date(2032, 1, 11), "+853 6277 5003", 3,
        ("#eac1a0", "#8a8a8a", "#efe2d6"),
    ),
    DemoCitizen(
        "C0000004", "1514226(0)", "黃志強", "WONG, CHI KEONG", "M",
        date(1972, 2, 9), date(2020, 10, 5), date(2030, 10, 5), "+853 6530 0904", 0,
        ("#d6a57f", "#242424", "#dfe3ea"),
    ),
)


def personal_data() -> list[str]:
    """What of the demo citizens must never reach a log, a metric or a bundle:
    names (whole, and each part longer than three letters), ID numbers with and
    without the check digit, card numbers, phone numbers as written and as dialled."""
    found: list[str] = []
    for c in DEMO_CITIZENS:
        found += [c.name_zh, c.name_latin, c.id_number, c.id_number.split("(")[0],
                  c.card_number, c.phone, c.phone.replace(" ", "")[-8:]]
        found += [part for part in c.name_latin.replace(",", "").split() if len(part) > 3]
    return found


def by_card_number(card_number: str) -> DemoCitizen | None:
    return next((c for c in DEMO_CITIZENS if c.card_number == card_number), None)


def portrait_jpeg(citizen: DemoCitizen, size: tuple[int, int] = (240, 300)) -> bytes:
    """A drawn head-and-shoulders portrait standing in for the chip photo.

    Demo citizens are not real people, so their photos are drawn: a neutral
    background, shoulders, a face with eyes and mouth, seeded by the card
    number so each card always carries the same picture.
    """
    from PIL import Image, ImageDraw, ImageFilter

    skin, hair, background = citizen.portrait
    rng = random.Random(citizen.card_number)
    w, h = size
    img = Image.new("RGB", size, background)
    d = ImageDraw.Draw(img)
    d.ellipse((w * 0.08, h * 0.70, w * 0.92, h * 1.35), fill=rng.choice(
        ["#2f4f6f", "#5a3d5c", "#3d5c46", "#6b4a2f"]))
    d.rectangle((w * 0.42, h * 0.55, w * 0.58, h * 0.74), fill=skin)
    d.ellipse((w * 0.24, h * 0.12, w * 0.76, h * 0.48), fill=hair)
    d.ellipse((w * 0.28, h * 0.18, w * 0.72, h * 0.66), fill=skin)
    for ex in (0.40, 0.60):
        d.ellipse((w * ex - 7, h * 0.36, w * ex + 7, h * 0.40), fill="#2b2b2b")
    d.arc((w * 0.42, h * 0.48, w * 0.58, h * 0.58), 20, 160, fill="#8c4a3c", width=3)
    d.line((w * 0.5, h * 0.40, w * 0.48, h * 0.48), fill="#b98a6a", width=2)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    # Sensor-like grain, so the JPEG has the size of a real chip photo; seeded,
    # so the same card always carries the same bytes.
    noise = Image.frombytes("L", size, rng.randbytes(w * h)).convert("RGB")
    img = Image.blend(img, noise, 0.06)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()
