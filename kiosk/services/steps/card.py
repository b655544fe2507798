"""Read the citizen's ID card: ask for it, read it, prove it genuine, check it can be used.

Every card is verified on the kiosk (passive and active authentication, see
docs/card.md) before any service sees its data; a card that fails is refused
with the reason in the citizen's language, and what was read is wiped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.devices.card_reader import CardReader
from kiosk.devices.status import CardReaderStatus, DeviceStatus, Media
from kiosk.i18n import has
from kiosk.identity.face import Reference
from kiosk.identity.verify import Verdict, verify_card
from kiosk.services.contract import Step, StepContext, device_of

READ_TIMEOUT_S = 20.0


@dataclass(frozen=True, kw_only=True)
class ReadCard(Step):
    id: str = "read_card"
    # Services that check the face encode the card photo here, once per card,
    # not at every camera frame.
    enroll_face: bool = False
    # False for the card check: a card that fails is the answer, not an error.
    # The verdict (no personal data) goes to session.data["card_verdict"].
    refuse_invalid: bool = True

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

        trust = ctx.trust
        face = ctx.face_verifier if self.enroll_face else None

        def work() -> CardAndFace:
            read = reader.read_card().result(timeout=READ_TIMEOUT_S)
            try:
                verdict = verify_card(read, trust, date.today())
            finally:
                read.wipe()
            result = CardAndFace(verdict)
            if face is not None and verdict.authentic and verdict.card is not None:
                result.reference = face.enroll(bytes(verdict.card.photo_jpeg))
            return result

        ctx.run(work, lambda result: self._verified(ctx, result), wait=self.id)

    def _verified(self, ctx: StepContext, result: CardAndFace) -> None:
        verdict = result.verdict
        if not self.refuse_invalid:
            ctx.session.data["card_verdict"] = {"authentic": verdict.authentic,
                                                "reason": verdict.reason}
            if not verdict.authentic or verdict.card is None:
                result.wipe()
                ctx.next()
                return
        if not verdict.authentic or verdict.card is None:
            reason = verdict.reason
            result.wipe()
            ctx.fail(f"error.card.{reason}" if has(f"error.card.{reason}") else "error.card.other")
            return
        ctx.session.card = verdict.card
        ctx.session.face_reference = result.reference
        ctx.next()


@dataclass
class CardAndFace:
    """A verified card and, when wanted, its photo's face reference."""

    verdict: Verdict
    reference: Reference | None = None

    def wipe(self) -> None:
        """Forget both: a result that arrives after its session ended."""
        self.verdict.wipe()
        if self.reference is not None:
            self.reference.wipe()
