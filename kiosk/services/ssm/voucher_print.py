"""列印醫療券 · Impressão de vales de saúde · Print health vouchers.

The citizen proves who they are (card and face), sees how many vouchers they
still have, chooses how many to print; the Health Bureau issues them (serial
numbers) and the kiosk prints them.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.api.models import VoucherIssue
from kiosk.documents.voucher import VoucherDocument, mask_id_number, render_vouchers
from kiosk.i18n import all_languages
from kiosk.identity.card import IdCard
from kiosk.services.contract import Need, OfflinePolicy, Service, StepContext
from kiosk.services.steps import (
    ChooseQuantity,
    CollectKept,
    Finish,
    Print,
    QuantityOffer,
    ReadCard,
    Submit,
    VerifyFace,
)


def _card(ctx: StepContext) -> IdCard:
    assert ctx.session.card is not None, "ReadCard comes first"
    return ctx.session.card


def load_balance(ctx: StepContext) -> QuantityOffer:
    card = _card(ctx)
    balance = ctx.gateway.voucher_balance(card.card_number, card.id_number)
    return QuantityOffer(balance.available, balance.value, balance.currency,
                         {"valid_until": balance.valid_until.isoformat()})


def issue(ctx: StepContext, idempotency_key: str) -> VoucherIssue:
    card = _card(ctx)
    return ctx.gateway.issue_vouchers(card.card_number, card.id_number,
                                      ctx.session.data["count"],
                                      idempotency_key=idempotency_key)


def render(ctx: StepContext, media: str) -> tuple[bytes, str]:
    card = _card(ctx)
    issued: VoucherIssue = ctx.session.data["issue"]
    now = datetime.now().replace(microsecond=0)
    docs = [
        VoucherDocument(
            serial=v.serial, value=v.value, currency=v.currency, valid_from=v.valid_from,
            valid_until=v.valid_until, holder_name_zh=card.name_zh,
            holder_name_latin=card.name_latin, id_number_masked=mask_id_number(card.id_number),
            issued_at=now, terminal_id=ctx.terminal_id,
        )
        for v in issued.vouchers
    ]
    return render_vouchers(docs, ctx.session.lang, media), f"vouchers-{issued.transaction_id}"


SERVICE = Service(
    id="ssm.voucher-print",
    department="ssm",
    titles=all_languages("service.ssm.voucher-print"),
    outcome=all_languages("outcome.ssm.voucher-print"),
    needs=frozenset({Need.CARD, Need.FACE, Need.PRINTER}),
    offline=OfflinePolicy.ONLINE,
    steps=(
        ReadCard(enroll_face=True),
        VerifyFace(),
        CollectKept(done="ssm.vouchers.done"),
        ChooseQuantity(id="choose", load=load_balance, result_key="count",
                       title="ssm.vouchers.choose", none_left="ssm.vouchers.none_left",
                       unit="ssm.vouchers.unit"),
        Submit(id="issue", call=issue, result_key="issue", message="ssm.vouchers.issuing"),
        Print(id="print", render=render, message="ssm.vouchers.printing",
              kept_message="ssm.vouchers.kept"),
        Finish(message="ssm.vouchers.done"),
    ),
)
