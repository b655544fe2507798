"""A card profile: everything a virtual card needs to behave like one issued card.

Written by personalisation (``kiosk card personalize``), read by the virtual
card (the demo's simulated reader and ``kiosk card emulate``). It holds the
chip's files exactly as stored, the chip's private key for active
authentication, and how the chip talks (ATR, protocol, extended length).
Test cards only: a real card's private key never leaves its chip.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.identity.chip import FILES

PROFILE_FORMAT = "kiosk-card-profile/1"


class ProfileError(ValueError):
    """A profile file that cannot be used; the message says why."""


@dataclass
class CardProfile:
    # The chip's files by ChipFile.name, as stored on the chip (possibly defective).
    files: dict[str, bytes] = field(repr=False)
    # PEM of the chip's EC private key (P-256) used to answer INTERNAL AUTHENTICATE.
    chip_private_key_pem: bytes = field(repr=False)
    # The ATR without its check byte decisions: the virtual card sends it as is.
    atr: bytes = b""
    protocol: str = "T=1"  # "T=0" or "T=1"
    extended_length: bool = True
    # What personalisation meant this card to be ("genuine" or a defect's name).
    label: str = "genuine"

    def to_json(self) -> str:
        return json.dumps({
            "format": PROFILE_FORMAT,
            "label": self.label,
            "atr": self.atr.hex(),
            "protocol": self.protocol,
            "extended_length": self.extended_length,
            "files": {name: base64.b64encode(data).decode() for name, data in self.files.items()},
            "chip_private_key_pem": self.chip_private_key_pem.decode("ascii"),
        }, indent=2)

    def save(self, path: str | Path) -> None:
        p = Path(path)
        tmp = p.with_suffix(p.suffix + ".part")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(p)

    @classmethod
    def from_json(cls, text: str) -> CardProfile:
        try:
            raw: Any = json.loads(text)
        except (ValueError, RecursionError):
            raise ProfileError("not a card profile (not JSON)") from None
        if not isinstance(raw, dict) or raw.get("format") != PROFILE_FORMAT:
            raise ProfileError(f"not a card profile (format is not {PROFILE_FORMAT})")
        try:
            files = {str(k): base64.b64decode(v, validate=True)
                     for k, v in dict(raw["files"]).items()}
            known = {f.name for f in FILES}
            unknown = set(files) - known
            if unknown:
                raise ProfileError(f"unknown chip files: {sorted(unknown)}")
            protocol = str(raw.get("protocol", "T=1"))
            if protocol not in ("T=0", "T=1"):
                raise ProfileError("protocol must be T=0 or T=1")
            return cls(files=files,
                       chip_private_key_pem=str(raw["chip_private_key_pem"]).encode("ascii"),
                       atr=bytes.fromhex(str(raw.get("atr", ""))), protocol=protocol,
                       extended_length=bool(raw.get("extended_length", True)),
                       label=str(raw.get("label", "genuine")))
        except ProfileError:
            raise
        except (KeyError, TypeError, ValueError, UnicodeError) as e:
            raise ProfileError(f"damaged card profile ({e.__class__.__name__})") from None

    @classmethod
    def load(cls, path: str | Path) -> CardProfile:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ProfileError(f"{path}: cannot read ({e.__class__.__name__})") from None
        return cls.from_json(text)
