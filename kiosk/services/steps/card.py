"""Read the citizen's ID card: ask for it, read it, check it can be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.devices.card_reader import CardReader
from kiosk.devices.status import CardReaderStatus, DeviceStatus, Media
from kiosk.identity.card import IdCard, parse_card
from kiosk.services.contract import Step, StepContext, device_of

READ_TIMEOUT_S = 20.0


@dataclass(frozen=True, kw_only=True)
class ReadCard(Step):
    id: str = "read_card"

    def enter(self, ctx: StepContext) -> None:
        reader = ctx.devices["card_reader"]
        status = reader.status
        if isinstance(status, CardReaderStatus) and status.media is Media.PRESENT:
            self._read(ctx)
        else:
            ctx.show("insert_card", message="card.insert")

    def on_device(self, ctx: StepContext, name: str, status: DeviceStatus) -> None:
        if (name == "card_reader" and isinstance(status, CardReaderStatus)
                and status.media is Media.PRESENT and not ctx.state.get("reading")):
            self._read(ctx)

    def _read(self, ctx: StepContext) -> None:
        reader = device_of(ctx, "card_reader", CardReader)
        ctx.state["reading"] = True
        ctx.show("progress", message="card.reading")

        def work() -> IdCard:
            return parse_card(reader.read_card().result(timeout=READ_TIMEOUT_S))

        ctx.run(work, lambda card: self._read_done(ctx, card), wait=self.id)

    def _read_done(self, ctx: StepContext, card: IdCard) -> None:
        if card.expired(date.today()):
            card.wipe()
            ctx.fail("error.card.expired")
            return
        ctx.session.card = card
        ctx.next()
