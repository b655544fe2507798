"""The citizen of the session, as the gateway identifies them."""

from __future__ import annotations

from typing import Any

from kiosk.identity.card import IdCard
from kiosk.services.contract import StepContext


def card_of(ctx: StepContext) -> IdCard:
    card = ctx.session.card
    if card is None:
        raise RuntimeError("this step needs the card read first (ReadCard)")
    return card


def service_id(ctx: StepContext) -> str:
    assert ctx.session.service_id is not None, "steps run inside a service"
    return ctx.session.service_id


def records(ctx: StepContext) -> dict[str, Any]:
    """What the Lookup step found for this citizen (``{}`` before it ran)."""
    found = ctx.session.data.get("records")
    return found if isinstance(found, dict) else {}


def plain(obj: Any) -> dict[str, Any]:
    """A gateway model (a dataclass) or a dict, as a dict."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    return dict(obj)
