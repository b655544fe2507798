"""Proof of life, as three funds take it: the card, then the face, live.

The face check's liveness challenge (turn, blink ...) is what proves the holder
is alive and present; the fund records it. It must work when the network is
down (policy ``queue``): a pensioner is never sent home for a broken link. The
slip is a courtesy: with no printer, the reference is shown on screen.
"""

from __future__ import annotations

from kiosk.services.common import printouts
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import Service
from kiosk.services.steps import Finish, Print, Submit


def proof_of_life(service_id: str) -> Service:
    return service(service_id, "C F", "queue", (
        *identify(face=True),
        Submit(form=lambda ctx: {"face_verified": True, "liveness": True},
               message="proof.recording"),
        Print(id="print", optional=True, render=printouts.proof_of_life_slip()),
        Finish(message="proof.done",
               reference=lambda ctx: printouts.submission(ctx).reference),
    ))
