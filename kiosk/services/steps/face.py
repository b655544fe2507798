"""Check, live, that the person at the camera is the card's holder, and alive.

Each attempt draws a random challenge (turn left, nod ...). Frames are judged
off the UI thread by the face verifier (a warm worker process for the real
engine); the screen shows the live preview with the face box, what to do next
and what is wrong with the picture. The attempt is decided on all its frames
together once the challenge is done and enough good frames are in, or when
its time is up. The time the citizen stands there counts as this step's wait.
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
from kiosk.identity.face import FaceDecision, FaceOutcome, FaceVerifier, Observation, Reference
from kiosk.identity.frames import Frame
from kiosk.services.contract import Step, StepContext, device_of


@dataclass
class FaceAttempt:
    """One attempt's decision and the frames it saw; wiped as soon as it is judged."""

    decision: FaceDecision | None
    frames: list[Frame] = field(default_factory=list)

    def wipe(self) -> None:
        for frame in self.frames:
            frame.wipe()
        self.frames.clear()


@dataclass(frozen=True, kw_only=True)
class VerifyFace(Step):
    id: str = "verify_face"
    attempts: int = 3
    # Seconds an attempt may run before it is decided on what it has; None: the
    # terminal's face.attempt_timeout_s, which the verifier carries.
    attempt_timeout_s: float | None = None
    # Frames waiting to be judged; more are only shown (the judge is busy).
    backlog: int = 4

    def enter(self, ctx: StepContext) -> None:
        if ctx.session.card is None:
            ctx.fail("error.unexpected")
            return
        ctx.state["attempt"] = 0
        if ctx.session.face_reference is None:  # a service that did not enroll at read
            photo = bytes(ctx.session.card.photo_jpeg)
            ctx.show("progress", message="face.checking")
            ctx.run(lambda: ctx.face_verifier.enroll(photo), lambda ref: self._enrolled(ctx, ref),
                    wait=self.id)
        else:
            self._start(ctx, "face.look")

    def _enrolled(self, ctx: StepContext, reference: Reference) -> None:
        ctx.session.face_reference = reference
        self._start(ctx, "face.look")

    def _start(self, ctx: StepContext, message: str) -> None:
        verifier: FaceVerifier = ctx.face_verifier
        reference = ctx.session.face_reference
        assert reference is not None
        camera = device_of(ctx, "camera", Camera)
        challenge = verifier.new_challenge()
        inbox: queue.Queue[Frame] = queue.Queue(maxsize=self.backlog)
        stop = threading.Event()
        ctx.state.update(stop=stop, challenge=challenge)
        first = f"face.challenge.{challenge[0]}" if challenge else "face.look"
        ctx.show("face", message=message, prompt=first, attempt=ctx.state["attempt"] + 1,
                 attempts=self.attempts)

        def on_frame(frame: Frame) -> None:  # on the camera's thread
            try:
                inbox.put_nowait(frame)
            except queue.Full:  # the judge is busy: this one is only shown
                ctx.post(lambda: ctx.preview(frame))

        camera.start(on_frame)
        ctx.run(lambda: self._watch(ctx, camera, verifier, reference, challenge, inbox, stop),
                lambda attempt: self._judged(ctx, attempt), wait=self.id)

    def _watch(self, ctx: StepContext, camera: Camera, verifier: FaceVerifier,
               reference: Reference, challenge: tuple[str, ...], inbox: queue.Queue[Frame],
               stop: threading.Event) -> FaceAttempt:
        """Off the UI thread: judge frames as they come, guide the citizen, decide."""
        attempt = FaceAttempt(None)
        observations: list[Observation] = []
        timeout = self.attempt_timeout_s or getattr(verifier, "attempt_timeout_s", 15.0)
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    frame = inbox.get(timeout=0.5)
                except queue.Empty:
                    if not camera.status.usable:
                        raise DeviceError("camera_lost") from None
                    continue
                attempt.frames.append(frame)
                seen = verifier.observe(reference, frame)
                observations.append(seen)
                done = verifier.progress(observations, challenge)
                prompt = (f"face.challenge.{challenge[done]}" if done < len(challenge)
                          else "face.hold_still")
                ctx.post(lambda f=frame, o=seen, p=prompt: ctx.preview(
                    f, box=o.box, guidance=o.guidance, prompt=p))
                if verifier.ready(observations, challenge):
                    break
        finally:
            camera.stop()
        if stop.is_set():
            return attempt
        attempt.decision = verifier.decide(reference, observations, challenge)
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
            live_failed = decision.liveness_passed is False and decision.outcome is \
                FaceOutcome.MATCH
            ctx.fail("error.face.not_live" if live_failed else "error.face.mismatch")
            return
        if decision.outcome is FaceOutcome.NO_FACE:
            message = "face.no_face"
        elif decision.liveness_passed is False:
            message = "face.again_challenge"
        else:
            message = "face.again"
        self._start(ctx, message)

    def on_device(self, ctx: StepContext, name: str, status: DeviceStatus) -> None:
        if name == "camera" and not status.usable:
            ctx.fail("error.device.camera_lost", retry=True)

    def leave(self, ctx: StepContext) -> None:
        stop = ctx.state.get("stop")
        if stop is not None:
            stop.set()
        with contextlib.suppress(TypeError):
            device_of(ctx, "camera", Camera).stop()
