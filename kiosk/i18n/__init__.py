"""Every text a citizen sees, in 繁體中文, português and English, from one file.

The texts live in the TOML files of ``texts/`` beside this module (one file per
area: screens, documents, errors ...): one table per key, one entry per
language. A key defined twice is an error. Code refers to texts by key only; no widget or document
holds a literal citizen-facing string.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Final

LANGUAGES: Final = ("zh-Hant", "pt", "en")
DEFAULT_LANGUAGE: Final = "zh-Hant"
# What each language calls itself, shown on the language buttons.
LANGUAGE_NAMES: Final = {"zh-Hant": "繁體中文", "pt": "Português", "en": "English"}


class MissingText(KeyError):
    """A key or a language that the text file does not hold."""


@cache
def _texts() -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}
    folder = resources.files(__package__).joinpath("texts")
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if file.name.endswith(".toml"):
            found = _flatten(tomllib.loads(file.read_text(encoding="utf-8")))
            clash = flat.keys() & found.keys()
            if clash:
                raise ValueError(f"{file.name} redefines text keys: {sorted(clash)}")
            flat.update(found)
    return flat


def _flatten(data: dict) -> dict[str, dict[str, str]]:
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, table: dict) -> None:
        if all(isinstance(v, str) for v in table.values()) and set(table) & set(LANGUAGES):
            flat[prefix] = table
            return
        for name, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{name}" if prefix else name, value)

    walk("", data)
    return flat


def all_keys() -> list[str]:
    """All text keys, sorted."""
    return sorted(_texts())


def has(key: str) -> bool:
    return key in _texts()


def t(key: str, lang: str, /, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    try:
        entry = _texts()[key]
    except KeyError:
        raise MissingText(f"no text with key {key!r}") from None
    try:
        text = entry[lang]
    except KeyError:
        raise MissingText(f"text {key!r} has no {lang!r} version") from None
    return text.format(**values) if values else text


def all_languages(key: str, /, **values: object) -> dict[str, str]:
    """The text ``key`` in every language, e.g. for a multilingual printout."""
    return {lang: t(key, lang, **values) for lang in LANGUAGES}
