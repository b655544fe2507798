"""``DlibFaceVerifier``: the FaceVerifier the kiosk runs, on dlib's models."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kiosk.identity.face import (
    FaceDecision,
    FaceError,
    Observation,
    Reference,
    random_challenge,
)
from kiosk.identity.faceengine import decision, liveness
from kiosk.identity.faceengine.liveness import LivenessLimits
from kiosk.identity.faceengine.quality import QualityLimits
from kiosk.identity.faceengine.worker import LocalEngine, WorkerEngine
from kiosk.identity.frames import Frame

log = logging.getLogger(__name__)


class DlibFaceVerifier:
    """Card photo against live frames, with liveness; dlib in a warm worker process.

    ``worker=False`` runs dlib in the calling thread (tools, benchmarks): never
    on a UI thread. ``landmarks="68"`` loads the 68-point model, whose training
    data (iBUG 300-W) excludes commercial use: an explicit opt-in only.
    """

    simulated = False

    def __init__(self, *, threshold: float = decision.DEFAULT_THRESHOLD, worker: bool = True,
                 landmarks: str = "5", liveness: bool = True, challenge_length: int = 2,
                 min_frames: int = decision.MIN_GOOD_FRAMES, encode_every: int = 2,
                 scan_every: int = 5, scan_width: int = 640,
                 quality: QualityLimits | None = None,
                 liveness_limits: LivenessLimits | None = None) -> None:
        if landmarks not in ("5", "68"):
            raise ValueError(f"landmarks must be '5' or '68', not {landmarks!r}")
        if landmarks == "68":
            log.warning("face engine uses the 68-point landmark model: "
                        "its iBUG 300-W licence excludes commercial use")
        self.threshold = threshold
        self.liveness = liveness
        self.challenge_length = challenge_length
        self.min_frames = min_frames
        self.liveness_limits = liveness_limits or LivenessLimits()
        options: dict[str, Any] = {
            "landmarks": landmarks, "limits": quality, "encode_every": encode_every,
            "scan_every": scan_every, "scan_width": scan_width,
        }
        self._engine: WorkerEngine | LocalEngine = (
            WorkerEngine(options) if worker else LocalEngine(options))
        # Reference.wipe() may come from the UI thread as the session ends: it
        # must not wait for the engine to finish a frame, so forgetting is queued.
        self._forgetter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-forget")
        self._last_forget: Future[None] | None = None

    def enroll(self, card_photo_jpeg: bytes) -> Reference:
        handle = self._engine.call("enroll", bytes(card_photo_jpeg))
        return Reference(handle, self._forget_handle(self._engine.epoch), owner=self,
                         epoch=self._engine.epoch)

    def new_challenge(self) -> tuple[str, ...]:
        return random_challenge(self.challenge_length) if self.liveness else ()

    def observe(self, reference: Reference, frame: Frame, *,
                encode: bool | None = None) -> Observation:
        """``encode``: None lets the engine encode one good frame in ``encode_every``."""
        self._check(reference)
        return self._engine.call("observe", reference.handle, frame.width, frame.height,
                                 frame.rgb, frame.timestamp, encode)

    def locate(self, frame: Frame) -> Observation:
        """The face box and guidance code of one frame, with no reference (a
        camera preview): nothing encoded, nothing kept."""
        return self._engine.call("locate", frame.width, frame.height, frame.rgb,
                                 frame.timestamp)

    def decide(self, reference: Reference, observations: Sequence[Observation],
               challenge: tuple[str, ...]) -> FaceDecision:
        return decision.decide(observations, challenge, threshold=self.threshold,
                               liveness_required=self.liveness, min_frames=self.min_frames,
                               liveness_limits=self.liveness_limits)

    def progress(self, observations: Sequence[Observation],
                 challenge: tuple[str, ...]) -> int:
        return liveness.completed(observations, challenge, self.liveness_limits)

    def ready(self, observations: Sequence[Observation], challenge: tuple[str, ...]) -> bool:
        good = sum(1 for o in observations if o.distance is not None)
        return (good >= self.min_frames
                and (not self.liveness
                     or self.progress(observations, challenge) == len(challenge)))

    def compare_photo(self, reference: Reference, photo: bytes) -> float:
        """Distance from the reference to the one face on a photo (``kiosk face evaluate``)."""
        self._check(reference)
        return float(self._engine.call("compare_photo", reference.handle, bytes(photo)))

    def forget(self, reference: Reference) -> None:
        """Wipe ``reference`` and wait until the engine has dropped its encoding."""
        reference.wipe()
        pending = self._last_forget
        if pending is not None:
            pending.result()

    def stats(self) -> dict[str, Any]:
        """The engine's process id, calls served and model loads: a warm worker loads once."""
        return dict(self._engine.call("stats"))

    @property
    def worker_pid(self) -> int | None:
        return self._engine.pid

    def close(self) -> None:
        self._forgetter.shutdown(wait=True)
        self._engine.close()

    def __enter__(self) -> DlibFaceVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, reference: Reference) -> None:
        if reference.wiped or reference.owner is not self:
            raise FaceError("reference_lost", "wiped or made by another verifier")
        if reference.epoch != self._engine.epoch:
            raise FaceError("reference_lost", "the face engine restarted")

    def _forget_handle(self, epoch: int) -> Any:
        def drop(handle: int) -> None:
            if epoch != self._engine.epoch:
                return  # that engine is gone, and the encoding with it
            try:
                self._engine.call("forget", handle)
            except FaceError:  # a dead engine has nothing left to forget
                log.warning("face engine unavailable while forgetting a reference")

        def forget(handle: int) -> None:
            # Once closed, the engine and its references are gone already.
            with contextlib.suppress(RuntimeError):
                self._last_forget = self._forgetter.submit(drop, handle)
        return forget
