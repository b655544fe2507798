"""The design system, in one place: colours, type, sizes, spacing.

Sized for a public touchscreen read standing up, by the elderly too: touch
targets of at least 96 px (well over the 60 px floor), body text 28 px, and
colour pairs with a contrast of at least 4.5:1 (checked by the tests).

Two modes the citizen can switch on, alone or together: high contrast (light
on black, every text pair at least 7:1, WCAG's AAA level) and large text (every
size a quarter larger). ``PALETTE`` and ``SIZES`` always read the mode in use,
so a widget that paints itself follows the citizen's choice with no code of
its own; ``use()`` switches, and the window applies the stylesheet again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FONT_FAMILIES = ("Noto Sans CJK TC", "Noto Sans", "DejaVu Sans")
DESIGN_SIZE = (1920, 1080)


@dataclass(frozen=True)
class Palette:
    primary: str = "#0a5c63"  # deep teal: the government's own, calm and legible
    primary_dark: str = "#073f44"
    on_primary: str = "#ffffff"
    accent: str = "#b8860b"  # gold: the emblem's colour, used sparingly
    surface: str = "#f4f6f7"
    card: str = "#ffffff"
    text: str = "#16202a"
    text_muted: str = "#4a5764"
    border: str = "#cdd5db"
    disabled_bg: str = "#e4e8eb"
    disabled_text: str = "#59636d"
    danger: str = "#a4262c"
    warning: str = "#7a4f00"  # dark amber: a caution that still reads on white
    success: str = "#1e6b3a"
    selected_bg: str = "#e3f1f1"  # the field being typed into, an option chosen
    sim: str = "#7a4b00"
    sim_bg: str = "#fff4d6"


@dataclass(frozen=True)
class Sizes:
    body: int = 28
    small: int = 24
    title: int = 52
    heading: int = 40
    field: int = 32
    field_height: int = 76
    key: int = 30
    display: int = 84
    button_height: int = 96
    button_min_width: int = 200
    radius: int = 18
    gap: int = 24
    margin: int = 48
    bar_height: int = 112
    # Pictures at this share of their size: with large text, the words need the room.
    illustration: float = 1.0


STANDARD = Palette()
HIGH_CONTRAST = Palette(
    primary="#ffd500",  # yellow on black: the classic low-vision pair
    primary_dark="#e6bf00",
    on_primary="#000000",
    accent="#ffd500",
    surface="#000000",
    card="#000000",
    text="#ffffff",
    text_muted="#e6e6e6",
    border="#ffffff",
    disabled_bg="#2b2b2b",
    disabled_text="#d0d0d0",
    danger="#ff9e9e",
    warning="#ffd500",
    success="#8cf5a4",
    selected_bg="#1f1f00",
    sim="#ffd27a",
    sim_bg="#1c1400",
)
REGULAR = Sizes()
LARGE = Sizes(body=36, small=30, title=64, heading=50, field=40, field_height=92, key=36,
              display=88, button_height=112, button_min_width=220, radius=20, gap=24,
              margin=40, bar_height=124, illustration=0.55)


@dataclass(frozen=True)
class Theme:
    palette: Palette
    sizes: Sizes


def theme_for(high_contrast: bool = False, large_text: bool = False) -> Theme:
    return Theme(HIGH_CONTRAST if high_contrast else STANDARD, LARGE if large_text else REGULAR)


_active = [theme_for()]


def use(theme: Theme) -> bool:
    """Make ``theme`` the one in use; True when that changed anything."""
    changed = theme != _active[0]
    _active[0] = theme
    return changed


def active() -> Theme:
    return _active[0]


class _Active:
    """Reads through to the palette or sizes of the theme in use."""

    def __init__(self, part: str) -> None:
        self._part = part

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(_active[0], self._part), name)


# Typed as what they read through to: every attribute of Palette and Sizes.
PALETTE: Palette = _Active("palette")  # type: ignore[assignment]
SIZES: Sizes = _Active("sizes")  # type: ignore[assignment]


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Foreground/background pairs the stylesheet uses for text.
TEXT_PAIRS = (
    ("text", "surface"), ("text", "card"), ("text_muted", "surface"), ("text_muted", "card"),
    ("on_primary", "primary"), ("on_primary", "primary_dark"), ("disabled_text", "disabled_bg"),
    ("danger", "card"), ("success", "card"), ("sim", "sim_bg"), ("primary", "card"),
    ("warning", "card"), ("warning", "surface"), ("text", "selected_bg"),
    ("primary", "selected_bg"), ("primary", "surface"), ("danger", "surface"),
)


def stylesheet(p: Palette | None = None, s: Sizes | None = None) -> str:
    p = p or active().palette
    s = s or active().sizes
    families = ", ".join(f'"{f}"' for f in FONT_FAMILIES)
    return f"""
* {{ font-family: {families}; font-size: {s.body}px; color: {p.text}; }}
#KioskWindow, #Screens > QWidget {{ background: {p.surface}; }}
#TopBar {{ background: {p.primary}; }}
#TopBar QLabel {{ color: {p.on_primary}; }}
#TopBar #Government {{ font-size: {s.small}px; }}
#TopBar #Kiosk {{ font-size: {s.body}px; font-weight: bold; }}
#TopBar #StepLabel {{ font-size: {s.small}px; }}
#TopBar #ServiceTitle {{ font-size: {s.body}px; font-weight: bold; }}
QPushButton[role="lang"] {{
  background: transparent; color: {p.on_primary}; border: 2px solid {p.on_primary};
  border-radius: {s.radius}px; min-height: 72px; min-width: 0; padding: 0 24px;
  font-size: {s.small}px; }}
QPushButton[role="lang"]:checked {{ background: {p.on_primary}; color: {p.primary}; }}
QPushButton[role="icon"] {{ background: transparent; border: 2px solid {p.on_primary};
  border-radius: {s.radius}px; padding: 0; min-width: {s.bar_height - 36}px;
  max-width: {s.bar_height - 36}px; min-height: {s.bar_height - 36}px;
  max-height: {s.bar_height - 36}px; }}
QPushButton[role="icon"]:checked {{ background: {p.on_primary}; }}
QPushButton[role="iconbutton"] {{ padding: 0; min-width: {s.button_height}px;
  max-width: {s.button_height}px; }}
#BottomBar {{ background: {p.card}; border-top: 1px solid {p.border}; }}
QPushButton {{
  min-height: {s.button_height}px; min-width: {s.button_min_width}px; padding: 0 36px;
  border-radius: {s.radius}px; font-size: {s.body}px; font-weight: bold;
  background: {p.card}; color: {p.primary}; border: 3px solid {p.primary}; }}
QPushButton:pressed {{ background: {p.disabled_bg}; }}
QPushButton[role="primary"] {{ background: {p.primary}; color: {p.on_primary};
  border: 3px solid {p.primary}; }}
QPushButton[role="primary"]:pressed {{ background: {p.primary_dark}; }}
QPushButton[role="choice"] {{ background: {p.primary}; color: {p.on_primary};
  min-width: 420px; min-height: 180px; font-size: {s.title}px; }}
QPushButton[role="toggle"] {{ min-width: 0; padding: 0 24px; }}
QPushButton[role="toggle"]:checked {{ background: {p.primary}; color: {p.on_primary}; }}
QPushButton[role="service"] {{ text-align: left; padding: 20px 28px; min-height: 150px;
  background: {p.card}; color: {p.text}; border: 2px solid {p.border}; font-weight: normal; }}
QPushButton[role="service"]:disabled {{ background: {p.disabled_bg}; color: {p.disabled_text}; }}
QPushButton[role="sim"] {{ background: {p.sim_bg}; color: {p.sim}; border: 3px dashed {p.sim};
  min-height: 72px; min-width: 0; padding: 0 18px; font-size: {s.small}px; }}
QPushButton[role="stepper"] {{ min-width: 120px; min-height: 120px; font-size: {s.title}px;
  border-radius: 60px; padding: 0; }}
QLabel[role="title"] {{ font-size: {s.title}px; font-weight: bold; color: {p.text}; }}
QLabel[role="display"] {{ font-size: {s.display}px; font-weight: bold; color: {p.primary}; }}
QLabel[role="body"] {{ font-size: {s.body}px; color: {p.text}; }}
QLabel[role="muted"] {{ font-size: {s.small}px; color: {p.text_muted}; }}
QLabel[role="error"] {{ font-size: {s.title}px; font-weight: bold; color: {p.danger}; }}
QLabel[role="guidance"] {{ font-size: {s.body}px; font-weight: bold; color: {p.danger}; }}
QLabel[role="success"] {{ font-size: {s.title}px; font-weight: bold; color: {p.success}; }}
QLabel[role="department"] {{ font-size: {s.small}px; font-weight: bold; color: {p.primary};
  padding-top: 8px; }}
QLabel#SimBadge {{ background: {p.sim_bg}; color: {p.sim}; border: 2px dashed {p.sim};
  border-radius: 10px; padding: 6px 14px; font-size: {s.small}px; font-weight: bold;
  max-height: 48px; }}
QFrame[role="panel"] {{ background: {p.card}; border: 1px solid {p.border};
  border-radius: {s.radius}px; }}
QFrame[role="simpanel"] {{ background: {p.sim_bg}; border: 2px dashed {p.sim};
  border-radius: {s.radius}px; }}
QLabel[role="heading"] {{ font-size: {s.heading}px; font-weight: bold; color: {p.text}; }}
QLabel[role="warning"] {{ font-size: {s.title}px; font-weight: bold; color: {p.warning}; }}
QLabel[role="info"] {{ font-size: {s.title}px; font-weight: bold; color: {p.primary}; }}
QLabel[role="fieldlabel"] {{ font-size: {s.body}px; font-weight: bold; color: {p.text}; }}
QLabel[role="fieldlabel"][current="true"] {{ color: {p.primary}; }}
QLabel[role="fielderror"] {{ font-size: {s.body}px; font-weight: bold; color: {p.danger}; }}
QLabel[role="rowlabel"] {{ font-size: {s.body}px; color: {p.text_muted}; }}
QLabel[role="rowvalue"] {{ font-size: {s.body}px; font-weight: bold; color: {p.text}; }}
QLabel[role="th"] {{ font-size: {s.small}px; font-weight: bold; color: {p.text_muted}; }}
QLabel[role="td"] {{ font-size: {s.body}px; color: {p.text}; }}
QLabel[role="amount"] {{ font-size: {s.title}px; font-weight: bold; color: {p.primary}; }}
QLabel[role="optiontitle"] {{ font-size: {s.body}px; font-weight: bold; color: {p.text}; }}
QLabel[role="optionline"] {{ font-size: {s.small}px; color: {p.text_muted}; }}
QLabel[role="optionamount"] {{ font-size: {s.body}px; font-weight: bold; color: {p.primary}; }}
QLineEdit, QPlainTextEdit {{ background: {p.card}; color: {p.text}; font-size: {s.field}px;
  border: 2px solid {p.border}; border-radius: 12px; padding: 6px 16px; }}
QLineEdit {{ min-height: {s.field_height - 16}px; }}
QLineEdit[current="true"], QPlainTextEdit[current="true"] {{ border: 4px solid {p.primary};
  background: {p.selected_bg}; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border-color: {p.danger}; }}
QLineEdit[current="true"][invalid="true"], QPlainTextEdit[current="true"][invalid="true"] {{
  border: 4px solid {p.danger}; }}
QPushButton[role="key"], QPushButton[role="pinkey"], QPushButton[role="keyfn"],
QPushButton[role="keyenter"] {{ min-height: 0; min-width: 0; padding: 0;
  border-radius: 12px; border: 2px solid {p.border}; background: {p.card}; color: {p.text};
  font-weight: normal; font-size: {s.key}px; }}
QPushButton[role="pinkey"] {{ font-size: {s.title}px; font-weight: bold; }}
QPushButton[role="key"]:pressed, QPushButton[role="pinkey"]:pressed,
QPushButton[role="keyfn"]:pressed {{ background: {p.disabled_bg}; }}
QPushButton[role="keyfn"] {{ background: {p.surface}; color: {p.primary}; font-weight: bold;
  font-size: {s.small}px; border-color: {p.primary}; }}
QPushButton[role="keyfn"][active="true"] {{ background: {p.primary}; color: {p.on_primary}; }}
QPushButton[role="keyenter"] {{ background: {p.primary}; color: {p.on_primary};
  border-color: {p.primary}; font-weight: bold; font-size: {s.small}px; }}
QPushButton[role="keyenter"]:pressed {{ background: {p.primary_dark}; }}
QPushButton:disabled[role="pinkey"] {{ color: {p.disabled_text}; background: {p.disabled_bg}; }}
QPushButton[role="dept"] {{ text-align: left; padding: 0; min-height: 0;
  background: {p.card}; border: 2px solid {p.border}; }}
QPushButton[role="dept"][selected="true"] {{ background: {p.primary}; border-color: {p.primary}; }}
QLabel[role="depttab"] {{ font-size: {s.small}px; font-weight: bold; color: {p.primary}; }}
QPushButton[role="dept"][selected="true"] QLabel[role="depttab"] {{ color: {p.on_primary}; }}
QLabel[role="tilewarning"] {{ font-size: {s.small}px; font-weight: bold; color: {p.danger}; }}
QPushButton[role="option"] {{ text-align: left; padding: 0; min-height: 0;
  background: {p.card}; color: {p.text}; border: 2px solid {p.border}; font-weight: normal; }}
QPushButton[role="option"][selected="true"] {{ border: 4px solid {p.primary};
  background: {p.selected_bg}; }}
QPushButton[role="option"]:disabled {{ background: {p.disabled_bg}; }}
QPushButton[role="choiceopt"] {{ min-height: {s.field_height}px; min-width: 160px;
  padding: 0 28px; background: {p.card}; color: {p.text}; border: 2px solid {p.border};
  font-weight: normal; }}
QPushButton[role="choiceopt"]:checked {{ background: {p.primary}; color: {p.on_primary};
  border-color: {p.primary}; font-weight: bold; }}
QScrollArea, QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ background: {p.disabled_bg}; width: 20px; border-radius: 10px;
  margin: 0; }}
QScrollBar::handle:vertical {{ background: {p.primary}; border-radius: 10px; min-height: 80px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
QFrame[role="rule"] {{ background: {p.border}; max-height: 1px; min-height: 1px; }}
QLabel#SimPhone {{ color: {p.sim}; font-size: {s.small}px; }}
#IdleOverlay {{ background: rgba(10, 20, 28, 170); }}
#IdleDialog {{ background: {p.card}; border-radius: {s.radius}px; }}
QProgressBar {{ border: none; background: {p.disabled_bg}; border-radius: 8px; max-height: 16px; }}
QProgressBar::chunk {{ background: {p.primary}; border-radius: 8px; }}
"""
