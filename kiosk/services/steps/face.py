"""Check the face at the camera against the card photo, on several frames."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.camera import Camera
from kiosk.devices.status import DeviceStatus
from kiosk.identity.face import FaceDecision, FaceOutcome
from kiosk.identity.frames import Frame
from kiosk.services.contract import Step, StepContext


@dataclass(frozen=True, kw_only=True)
class VerifyFace(Step):
    id: str = "verify_face"
    # Several frames decide together: one frame can sit near the threshold.
    frames_needed: int = 6
    # Keep one frame in ``keep_every``: consecutive frames are nearly the same.
    keep_every: int = 2
    attempts: int = 3

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.card is None:
            ctx.fail("error.unexpected")
            return
        ctx.state["attempt"] = ctx.state.get("attempt", 0)
        self._start(ctx, "face.look")

    def _start(self, ctx: StepContext, guidance: str) -> None:
        camera: Camera = ctx.devices["camera"]  # type: ignore[assignment]
        ctx.state.update(seen=0, collecting=True)
        ctx.session.frames.clear()
        ctx.show("face", message=guidance, attempt=ctx.state["attempt"] + 1,
                 attempts=self.attempts)
        camera.start(lambda frame: ctx.post(lambda: self._on_frame(ctx, frame)))

    def _on_frame(self, ctx: StepContext, frame: Frame) -> None:
        ctx.preview(frame)
        if not ctx.state.get("collecting"):
            frame.wipe()
            return
        ctx.state["seen"] += 1
        if ctx.state["seen"] % self.keep_every:
            return
        ctx.session.frames.append(frame)
        if len(ctx.session.frames) >= self.frames_needed:
            ctx.state["collecting"] = False
            ctx.devices["camera"].stop()  # type: ignore[attr-defined]
            self._decide(ctx)

    def _decide(self, ctx: StepContext) -> None:
        card = ctx.session.card
        assert card is not None
        photo = bytes(card.photo_jpeg)
        frames = list(ctx.session.frames)
        ctx.show("progress", message="face.checking")
        ctx.run(lambda: ctx.face_matcher.verify(photo, frames),
                lambda decision: self._decided(ctx, decision), wait=self.id)

    def _decided(self, ctx: StepContext, decision: FaceDecision) -> None:
        for frame in ctx.session.frames:
            frame.wipe()
        ctx.session.frames.clear()
        if decision.matched:
            ctx.session.face = decision
            ctx.next()
            return
        ctx.state["attempt"] += 1
        if ctx.state["attempt"] >= self.attempts:
            ctx.fail("error.face.mismatch")
            return
        guidance = "face.no_face" if decision.outcome is FaceOutcome.NO_FACE else "face.again"
        self._start(ctx, guidance)

    def on_device(self, ctx: StepContext, name: str, status: DeviceStatus) -> None:
        if name == "camera" and not status.usable:
            ctx.fail("error.device.camera_lost", retry=True)

    def leave(self, ctx: StepContext) -> None:
        ctx.state["collecting"] = False
        ctx.devices["camera"].stop()  # type: ignore[attr-defined]
