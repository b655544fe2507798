"""醫療券餘額及使用紀錄 · Saldo e utilização dos vales · Voucher balance and use."""

from __future__ import annotations

from typing import Any

from kiosk.services.common import money, printouts
from kiosk.services.common.citizen import records
from kiosk.services.common.flows import status
from kiosk.services.common.texts import localised
from kiosk.services.contract import StepContext


def _rows(ctx: StepContext) -> list[tuple[str, str]]:
    found = records(ctx)
    return [("balance.available", str(found.get("available", 0))),
            ("balance.value", f"{found.get('currency', 'MOP')} {found.get('value', '')}"),
            ("balance.valid_until", str(found.get("valid_until", "")))]


def _table(ctx: StepContext) -> tuple[list[str], list[list[Any]]] | None:
    used = records(ctx).get("used", [])
    if not used:
        return None
    return (["balance.date", "balance.provider", "balance.amount"],
            [[str(u["date"]), u["provider"], money.text(money.amount(u["amount"]))]
             for u in used])


def _statement(ctx: StepContext) -> list[tuple[str, str]]:
    """The balance, then each use: date and amount, the provider in the citizen's language."""
    used = [("document.label.used_on",
             f"{u['date']} · MOP {money.text(money.amount(u['amount']))} · "
             f"{localised(u['provider'], ctx.session.lang)}")
            for u in records(ctx).get("used", [])]
    return [*_rows(ctx), *used]


SERVICE = status(
    "ssm.voucher-balance", title="balance.title", rows=_rows, table=_table,
    render=printouts.confirmation("document.confirmation.statement", _statement,
                                  reference=lambda ctx: ctx.session.session_id.upper()),
)
