"""The Health Bureau's view of a citizen's family, shared by transfer and kinship checks."""

from __future__ import annotations

from typing import Any

from kiosk.i18n import all_languages, has
from kiosk.services.common.citizen import records
from kiosk.services.contract import StepContext
from kiosk.services.steps import Option


def relation(item: dict[str, Any]) -> dict[str, str] | str:
    """The relation as the citizen reads it: the gateway's three-language text, or a
    known relation id."""
    found = item.get("relation", "")
    if isinstance(found, dict):
        return found
    key = f"family.relation.{found}"
    return all_languages(key) if has(key) else str(found)


def members(ctx: StepContext, *, verified_only: bool) -> list[Option]:
    """The family members, as choices; for a transfer only those whose kinship
    the bureau has verified can be chosen."""
    return [Option(str(m["member_id"]), str(m["name_masked"]), [relation(m)],
                   disabled=verified_only and not m.get("kinship_verified"))
            for m in records(ctx).get("family", [])]


def member(ctx: StepContext) -> dict[str, Any]:
    wanted = ctx.session.data["member"]
    return next(m for m in records(ctx)["family"] if str(m["member_id"]) == wanted)
