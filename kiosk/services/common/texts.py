"""Text a department supplies comes in the three languages; pick the citizen's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.i18n import DEFAULT_LANGUAGE, all_languages

Text = str | Mapping[str, str]


def localised(value: Any, lang: str) -> str:
    """A {lang: text} dict in ``lang`` (Chinese if missing); anything else as text."""
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get(DEFAULT_LANGUAGE) or next(iter(value.values()),
                                                                         ""))
    return "" if value is None else str(value)


def titles(key: str) -> dict[str, str]:
    """A built-in service's titles, from the one text catalogue."""
    return all_languages(key)
