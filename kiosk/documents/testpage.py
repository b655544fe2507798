"""The printer test page field staff print: every script, a barcode and a QR to scan."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.units import mm

from kiosk.documents import layout
from kiosk.documents.thermal import Strip
from kiosk.i18n import t

BUREAU = "document.testpage.bureau"


def test_reference(when: datetime) -> str:
    return f"TEST-{when:%Y%m%d%H%M%S}"


def render_test_page(terminal_id: str, printer: str, lang: str,
                     when: datetime | None = None) -> bytes:
    """An 80 mm page: if its text is sharp in every script and both codes scan,
    the printer, its fonts and its resolution are fine."""
    layout.check_language(lang)
    when = when or datetime.now().replace(microsecond=0)
    reference = test_reference(when)
    strip = Strip(lang)
    strip.header(BUREAU)
    strip.title("document.testpage.title")
    strip.field("document.label.terminal", terminal_id, size=9)
    strip.field("document.testpage.printer", printer, size=9)
    strip.field("document.label.recorded_at", f"{when:%Y-%m-%d %H:%M:%S}", 8.5, False)
    strip.rule()
    for lang_of_line in ("zh-Hant", "pt", "en"):
        strip.text(t("document.testpage.scripts", lang_of_line), 9)
    strip.space(2 * mm)
    strip.barcode(reference)
    strip.space(2 * mm)
    strip.qr(reference, "document.testpage.scan")
    strip.rule(dashed=True)
    for lang_of_line in ("zh-Hant", layout.second_language(lang)):
        strip.text(t("document.testpage.note", lang_of_line), 6.8, align="center")
    return strip.render("document.testpage.title", BUREAU)
