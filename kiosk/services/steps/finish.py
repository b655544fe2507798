"""The last screen: what to take away. The session ends when the card is taken."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True, kw_only=True)
class Finish(Step):
    id: str = "finish"
    message: str = "done.take_card"  # text key

    def enter(self, ctx: StepContext) -> None:
        ctx.complete()
        ctx.show("done", message=self.message)
