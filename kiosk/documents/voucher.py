"""Health vouchers (醫療券 / Vale de Saúde) as a PDF, for the printer's media.

On A4 ("a4"): four cut-out coupons a page, each with a main part (official
header, title, holder, validity) and a stub on the right (value, serial number,
Code 128 barcode of the serial). On a receipt roll ("roll80", "roll58"): one
voucher a page, which the printer cuts off, with the same contents top down.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents import codes, layout, thermal
from kiosk.documents.fonts import check_glyphs, draw_text, fit_size, text_width
from kiosk.documents.layout import ACCENT, INK, MUTED, RULE, Box, bilingual
from kiosk.documents.thermal import Roll, Strip
from kiosk.i18n import t

MEDIA = ("a4", *thermal.ROLLS)
BUREAU = "document.header.health_bureau"
VOUCHERS_PER_PAGE = 4
STUB_WIDTH = 66 * mm
# The barcode may reach into the stub's padding (its quiet zones are blank anyway).
BARCODE_MAX_WIDTH = STUB_WIDTH - 4
# Module widths tried, widest first: 3, 2.5 and 2 dots of a 150 dpi print
# (0.51, 0.42 and 0.34 mm); narrower bars no longer scan reliably.
BAR_WIDTHS = (1.44, 1.2, 0.96)
BAR_HEIGHT = 9 * mm


@dataclass(frozen=True)
class VoucherDocument:
    serial: str
    value: int
    currency: str
    valid_from: date
    valid_until: date
    holder_name_zh: str
    holder_name_latin: str
    id_number_masked: str
    issued_at: datetime
    terminal_id: str


def mask_id_number(id_number: str) -> str:
    """The ID number with all but its first four digits and check digit hidden.

    "5215299(8)" → "5215***(8)"; a number without a check digit keeps its first
    four characters, and a short one shows all but its last three.
    """
    match = re.fullmatch(r"\s*([^()\s]+)\s*(\(\w\))?\s*", id_number)
    if not match:
        raise ValueError("not an ID number")
    number, check = match.group(1), match.group(2) or ""
    keep = min(4, max(0, len(number) - 3))
    return number[:keep] + "*" * (len(number) - keep) + check


def serial_groups(serial: str) -> list[str]:
    """The serial cut for reading aloud: at its own separators, else into groups of 3 to 4."""
    parts = [p for p in re.split(r"[\s\-]+", serial.strip()) if p]
    if len(parts) != 1:
        return parts
    count = math.ceil(len(serial) / 4)
    base, extra = divmod(len(serial), count)
    sizes = [base + (1 if i < extra else 0) for i in range(count)]
    starts = [sum(sizes[:i]) for i in range(count)]
    return [serial[s : s + n] for s, n in zip(starts, sizes, strict=True)]


def _check(voucher: VoucherDocument) -> None:
    serial = voucher.serial
    if not serial or not all(32 < ord(c) < 127 for c in serial):
        raise ValueError(f"serial {serial!r} must be printable ASCII without spaces (Code 128)")
    if voucher.valid_until < voucher.valid_from:
        raise ValueError(f"voucher {serial}: valid until is before valid from")
    if voucher.value < 0:
        raise ValueError(f"voucher {serial}: negative value")
    for text in (
        voucher.holder_name_zh,
        voucher.holder_name_latin,
        voucher.id_number_masked,
        voucher.currency,
        voucher.terminal_id,
    ):
        check_glyphs(text)


@lru_cache(maxsize=64)
def _barcode(serial: str) -> Code128:
    """The widest-barred Code 128 of ``serial`` that fits on the stub, quiet zones included.

    Cached: a voucher's barcode is built once when checked and reused when drawn.
    """
    try:
        return codes.fit_code128(serial, BARCODE_MAX_WIDTH, BAR_WIDTHS, BAR_HEIGHT)
    except ValueError:
        raise ValueError(
            f"serial {serial!r} is too long for a scannable barcode on a voucher"
        ) from None


def render_vouchers(vouchers: Sequence[VoucherDocument], lang: str, media: str = "a4") -> bytes:
    """The vouchers as a PDF for ``media`` (one of ``MEDIA``), labelled in Chinese and ``lang``.

    "a4": four coupons a page; "roll80", "roll58": a page per voucher, as wide as the roll.
    """
    if media not in MEDIA:
        raise ValueError(f"unknown media {media!r}; expected one of {MEDIA}")
    if not vouchers:
        raise ValueError("no vouchers to render")
    layout.check_language(lang)
    for voucher in vouchers:
        _check(voucher)
    if media != "a4":
        strips = [_roll_voucher(voucher, lang, thermal.ROLLS[media]) for voucher in vouchers]
        return thermal.render_strips(strips, "document.voucher.pdf_title", BUREAU)
    for voucher in vouchers:
        _barcode(voucher.serial)  # fits the stub, or ValueError before anything is drawn
    buffer = io.BytesIO()
    canvas = layout.new_document(buffer, t("document.voucher.pdf_title", lang), lang)
    for start in range(0, len(vouchers), VOUCHERS_PER_PAGE):
        page = vouchers[start : start + VOUCHERS_PER_PAGE]
        slots = layout.coupon_slots(VOUCHERS_PER_PAGE)
        for index, (voucher, slot) in enumerate(zip(page, slots, strict=False)):
            _draw_voucher(canvas, slot, voucher, lang)
            if index < VOUCHERS_PER_PAGE - 1:
                layout.draw_cut_line(canvas, slot.y - layout.COUPON_GAP / 2, lang)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_voucher(canvas: Canvas, box: Box, voucher: VoucherDocument, lang: str) -> None:
    inner = box.inset(layout.COUPON_PADDING, 4 * mm)
    main, stub = inner.split_right(STUB_WIDTH - layout.COUPON_PADDING)
    main = Box(main.x, main.y, main.w - 2 * layout.COUPON_PADDING, main.h)
    layout.draw_coupon_frame(canvas, box)

    # Header band: the Government's name on the left, the title over the stub.
    header_bottom = layout.draw_official_header(canvas, main.x, main.top, main.w, lang)
    canvas.setFillColor(INK)
    title_y = inner.top - 17
    draw_text(canvas, stub.x, title_y, t("document.voucher.title", "zh-Hant"), 20, bold=True)
    canvas.setFillColor(ACCENT)
    sub = t("document.voucher.title", layout.second_language(lang))
    draw_text(canvas, stub.x, title_y - 14, sub, fit_size(sub, stub.w, 10), bold=True)
    rule_y = min(header_bottom, title_y - 17) - 4
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(inner.x, rule_y, inner.right, rule_y)
    divider_x = stub.x - layout.COUPON_PADDING
    canvas.line(divider_x, rule_y - 6, divider_x, box.y + 4 * mm)
    canvas.restoreState()

    body_top = rule_y - 8
    _draw_main(canvas, Box(main.x, main.y, main.w, body_top - main.y), voucher, lang)
    _draw_stub(canvas, Box(stub.x, stub.y, stub.w, body_top - stub.y), voucher, lang)


def _draw_main(canvas: Canvas, area: Box, voucher: VoucherDocument, lang: str) -> None:
    # The holder's names across the column, then ID number and dates in three columns.
    names = [(voucher.holder_name_zh, 12.5, True), (voucher.holder_name_latin, 9.5, False)]
    holder = bilingual("document.voucher.holder", lang)
    y = layout.draw_field(canvas, area.x, area.top, area.w, holder, names) - 9
    gap = 3 * mm
    column = (area.w - 2 * gap) / 3
    fields = [
        ("document.voucher.id_number", voucher.id_number_masked, False),
        ("document.voucher.valid_from", voucher.valid_from.isoformat(), False),
        ("document.voucher.valid_until", voucher.valid_until.isoformat(), True),
    ]
    for index, (key, value, bold) in enumerate(fields):
        x = area.x + index * (column + gap)
        layout.draw_field(canvas, x, y, column, bilingual(key, lang), [(value, 10.5, bold)])

    # Fine print at the bottom: the notice, then when and where it was issued.
    second = layout.second_language(lang)
    canvas.setFillColor(MUTED)
    issued = (
        f"{bilingual('document.voucher.issued_at', lang)} "
        f"{voucher.issued_at.strftime('%Y-%m-%d %H:%M')}    "
        f"{bilingual('document.voucher.terminal', lang)} {voucher.terminal_id}"
    )
    notice = [t("document.voucher.notice", "zh-Hant"), t("document.voucher.notice", second)]
    base = area.y + 1
    for text in [issued, *reversed(notice)]:
        draw_text(canvas, area.x, base, text, fit_size(text, area.w, 6.2))
        base += 8.5


def _draw_stub(canvas: Canvas, area: Box, voucher: VoucherDocument, lang: str) -> None:
    # Value: the amount large in the accent colour on a tinted panel.
    label_y = area.top - layout.LABEL_SIZE
    canvas.setFillColor(MUTED)
    draw_text(canvas, area.x, label_y, bilingual("document.voucher.value", lang), 6.5)
    panel = Box(area.x, label_y - 4 - 36, area.w, 36)
    canvas.setFillColor(layout.ACCENT_TINT)
    canvas.roundRect(panel.x, panel.y, panel.w, panel.h, 4, stroke=0, fill=1)
    amount = f"{voucher.currency} {voucher.value:,}"
    canvas.setFillColor(ACCENT)
    size = fit_size(amount, panel.w - 12, 22, bold=True)
    baseline = panel.y + (panel.h - size * 0.72) / 2
    draw_text(canvas, panel.center_x, baseline, amount, size, bold=True, align="center")

    # From the bottom up: the barcode, the serial spaced in groups over it, its label.
    code = _barcode(voucher.serial)
    codes.draw_code128(canvas, code, area.center_x - code.width / 2, area.y)
    y = area.y + code.height + 5
    size = _draw_serial(canvas, area.center_x, y, area.w, voucher.serial, 13.0)
    canvas.setFillColor(MUTED)
    label_y = y + size + 3
    draw_text(canvas, area.x, label_y, bilingual("document.voucher.serial", lang), 6.5)


def _serial_size(serial: str, width: float, size: float) -> float:
    """The size at which the serial's groups, spaced for reading aloud, fit ``width``."""
    groups = serial_groups(serial)
    gap = size * 0.55
    total = sum(text_width(g, size, True) for g in groups) + gap * (len(groups) - 1)
    return size * min(1.0, width / total)


def _draw_serial(
    canvas: Canvas, center_x: float, y: float, width: float, serial: str, size: float
) -> float:
    """The serial in bold groups centred on ``center_x``, shrunk to ``width``; return the size."""
    groups = serial_groups(serial)
    size = _serial_size(serial, width, size)
    gap = size * 0.55
    total = sum(text_width(g, size, True) for g in groups) + gap * (len(groups) - 1)
    x = center_x - total / 2
    canvas.setFillColor(INK)
    for group in groups:
        x += draw_text(canvas, x, y, group, size, bold=True) + gap
    return size


def _roll_voucher(voucher: VoucherDocument, lang: str, roll: Roll) -> Strip:
    """One voucher on a receipt roll, top down: header, title, value, holder, dates,
    serial and its barcode, the notice. ``ValueError`` if the barcode cannot fit."""
    strip = Strip(lang, roll)
    strip.header(BUREAU)
    strip.title("document.voucher.title")
    strip.field("document.voucher.value", f"{voucher.currency} {voucher.value:,}", 16,
                colour=ACCENT)
    strip.rule()
    strip.label("document.voucher.holder")
    strip.text(voucher.holder_name_zh, 12.5, bold=True)
    strip.text(voucher.holder_name_latin, 9.5)
    strip.space(1 * mm)
    strip.field("document.voucher.id_number", voucher.id_number_masked, 9.5)
    strip.field("document.voucher.valid_from", voucher.valid_from.isoformat(), 9.5, False)
    strip.field("document.voucher.valid_until", voucher.valid_until.isoformat(), 9.5)
    strip.rule()
    strip.label("document.voucher.serial")
    size = _serial_size(voucher.serial, roll.printed, 14.0)
    strip.add(size * 1.35, lambda canvas, top: _draw_serial(
        canvas, roll.paper / 2, top - size, roll.printed, voucher.serial, size))
    try:
        strip.barcode(voucher.serial, caption=False)
    except ValueError:
        raise ValueError(
            f"serial {voucher.serial!r} is too long for a scannable barcode on a voucher"
        ) from None
    strip.rule(dashed=True)
    second = layout.second_language(lang)
    for text in (t("document.voucher.notice", "zh-Hant"), t("document.voucher.notice", second)):
        strip.text(text, 6.8, colour=MUTED, align="center")
    strip.space(1 * mm)
    stamp = voucher.issued_at.strftime("%Y-%m-%d %H:%M")
    strip.field("document.voucher.issued_at", stamp, 7.5, False, colour=MUTED)
    strip.field("document.voucher.terminal", voucher.terminal_id, 7.5, False, colour=MUTED)
    return strip
