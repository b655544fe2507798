"""Citizen texts: every key in all three languages, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.i18n import LANGUAGES, t

ROOT = Path(__file__).resolve().parent.parent


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", i18n.all_keys())
def test_every_key_in_every_language_with_the_same_fields(key: str) -> None:
    entry = i18n._texts()[key]
    assert set(entry) == set(LANGUAGES), key
    assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert len({frozenset(fields(entry[lang])) for lang in LANGUAGES}) == 1, key


# Strings in the code that look like text keys of the catalogue's families.
FAMILIES = ("attract", "language", "catalog", "card", "face", "wait", "done", "error", "idle",
            "sim", "quantity", "nav", "need", "header", "ssm", "unavailable", "department")
KEY = re.compile(r"""["']((?:""" + "|".join(FAMILIES) + r""")\.[a-z_.]+[a-z_])["']""")


def test_every_key_used_in_the_code_exists() -> None:
    used = {m for p in (ROOT / "kiosk").rglob("*.py")
            for m in KEY.findall(p.read_text(encoding="utf-8"))}
    # Computed keys: error families and device reasons.
    used = {k for k in used if not k.endswith((".other",))} | {
        "error.device.other", "error.gateway.other", "error.card.other"}
    families = {k.rsplit(".", 1)[0] for k in i18n.all_keys()}
    missing = sorted(k for k in used if not i18n.has(k) and k not in families)
    assert missing == []


def test_every_device_reason_has_a_text() -> None:
    from kiosk.devices.status import DeviceState

    for device in ("card_reader", "camera", "printer"):
        for state in DeviceState:
            if state not in (DeviceState.ONLINE, DeviceState.BUSY):
                assert i18n.has(f"unavailable.{device}.{state.value}")


def test_missing_text_is_an_error_not_a_blank() -> None:
    with pytest.raises(i18n.MissingText):
        t("no.such.key", "en")
    with pytest.raises(i18n.MissingText):
        t("nav.ok", "fr")
