"""核實身份證真偽 · Verificação da autenticidade do BIR · Check an ID card is genuine.

Runs on the kiosk alone (no network): the chip's data is checked against the
issuer's signature (passive authentication) and the chip proves it holds its
key (active authentication), as every card read does; here the verdict is the
answer, shown on screen, and a card that fails is not an error.
"""

from __future__ import annotations

from kiosk.i18n import all_languages, has
from kiosk.services.common.flows import service
from kiosk.services.contract import StepContext
from kiosk.services.steps import ReadCard, ShowResult


def _verdict(ctx: StepContext) -> dict:
    return ctx.session.data.get("card_verdict", {"authentic": False, "reason": "other"})


def _tone(ctx: StepContext) -> str:
    verdict = _verdict(ctx)
    if verdict["authentic"]:
        return "ok"
    return "warning" if verdict["reason"] == "expired" else "error"


def _rows(ctx: StepContext) -> list[tuple[str, str | dict[str, str]]]:
    verdict = _verdict(ctx)
    outcome = "genuine" if verdict["authentic"] else verdict["reason"]
    key = f"card_check.{outcome}" if has(f"card_check.{outcome}") else "card_check.other"
    rows: list[tuple[str, str | dict[str, str]]] = [("card_check.verdict", all_languages(key))]
    card = ctx.session.card
    if card is not None:  # only a genuine card's dates are worth showing
        rows.append(("card_check.valid_until", card.expiry_date.isoformat()))
    return rows


SERVICE = service("dsi.card-check", "C", "local", (
    ReadCard(refuse_invalid=False),
    ShowResult(title="card_check.title", rows=_rows, tone=_tone,
               note=lambda ctx: "card_check.how"),
))
