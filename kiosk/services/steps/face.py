"""Check the face at the camera against the card photo, on several frames.

Frames are collected and judged off the UI thread, so the time the citizen
stands before the camera counts as a wait of this step; the preview goes to
the screen as the frames arrive. A citizen who fails gets guidance and
another try, up to ``attempts``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field

from kiosk.devices.base import DeviceError
from kiosk.devices.camera import Camera
from kiosk.devices.status import DeviceStatus
from kiosk.identity.face import FaceDecision, FaceMatcher, FaceOutcome
from kiosk.identity.frames import Frame
from kiosk.services.contract import Step, StepContext, device_of


@dataclass
class FaceAttempt:
    """One attempt's decision and the frames it used; wiped as soon as it is judged."""

    decision: FaceDecision | None
    frames: list[Frame] = field(default_factory=list)

    def wipe(self) -> None:
        for frame in self.frames:
            frame.wipe()
        self.frames.clear()


@dataclass(frozen=True, kw_only=True)
class VerifyFace(Step):
    id: str = "verify_face"
    # Several frames decide together: one frame can sit near the threshold.
    frames_needed: int = 6
    # Keep one frame in ``keep_every``: consecutive frames are nearly the same.
    keep_every: int = 2
    attempts: int = 3
    # No usable frames in this long: the camera is lost (or nobody is there).
    collect_timeout_s: float = 15.0

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.card is None:
            ctx.fail("error.unexpected")
            return
        ctx.state["attempt"] = 0
        self._start(ctx, "face.look")

    def _start(self, ctx: StepContext, guidance: str) -> None:
        assert ctx.session.card is not None
        camera = device_of(ctx, "camera", Camera)
        photo = bytes(ctx.session.card.photo_jpeg)
        inbox: queue.Queue[Frame] = queue.Queue(maxsize=self.frames_needed * self.keep_every)
        stop = threading.Event()
        ctx.state["stop"] = stop
        ctx.show("face", message=guidance, attempt=ctx.state["attempt"] + 1,
                 attempts=self.attempts)

        def on_frame(frame: Frame) -> None:  # on the camera's thread
            ctx.post(lambda: ctx.preview(frame))
            with contextlib.suppress(queue.Full):  # the judge is busy: only shown
                inbox.put_nowait(frame)

        camera.start(on_frame)
        ctx.run(lambda: self._collect_and_judge(camera, ctx.face_matcher, photo, inbox, stop),
                lambda attempt: self._judged(ctx, attempt), wait=self.id)

    def _collect_and_judge(self, camera: Camera, matcher: FaceMatcher, photo: bytes,
                           inbox: queue.Queue[Frame], stop: threading.Event) -> FaceAttempt:
        attempt = FaceAttempt(None)
        deadline = time.monotonic() + self.collect_timeout_s
        seen = 0
        try:
            while len(attempt.frames) < self.frames_needed and not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    frame = inbox.get(timeout=min(remaining, 0.5))
                except queue.Empty:
                    continue
                seen += 1
                if seen % self.keep_every == 0:
                    attempt.frames.append(frame)
        finally:
            camera.stop()
        if stop.is_set():
            return attempt
        if len(attempt.frames) < self.frames_needed and not camera.status.usable:
            attempt.wipe()
            raise DeviceError("camera_lost")
        if not attempt.frames:
            attempt.decision = FaceDecision(FaceOutcome.NO_FACE)
            return attempt
        attempt.decision = matcher.verify(photo, attempt.frames)
        return attempt

    def _judged(self, ctx: StepContext, attempt: FaceAttempt) -> None:
        decision = attempt.decision
        attempt.wipe()
        if decision is None:
            return
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
        stop = ctx.state.get("stop")
        if stop is not None:
            stop.set()
        device_of(ctx, "camera", Camera).stop()
