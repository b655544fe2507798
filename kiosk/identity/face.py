"""Face verification: is the person at the camera the card's holder?

``FaceMatcher`` is the seam. The simulated matcher decides from what the
simulated camera says it shows; the model-based matcher (face_recognition,
in a worker process, with liveness) plugs into the same seam.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk.identity.frames import Frame


class FaceOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NO_FACE = "no_face"


@dataclass(frozen=True)
class FaceDecision:
    outcome: FaceOutcome
    # Distance-like score: lower is more alike. None where no face was found.
    score: float | None = None
    frames_used: int = 0

    @property
    def matched(self) -> bool:
        return self.outcome is FaceOutcome.MATCH


class FaceMatcher(Protocol):
    simulated: bool

    def verify(self, card_photo_jpeg: bytes, frames: Sequence[Frame]) -> FaceDecision:
        """Decide on several frames together; runs off the UI thread."""
        ...


class SimulatedFaceMatcher:
    """Decides from the frames' ``simulated_subject``: the demo's stand-in for a model."""

    simulated = True

    def verify(self, card_photo_jpeg: bytes, frames: Sequence[Frame]) -> FaceDecision:
        subjects = [f.simulated_subject for f in frames]
        seen = [s for s in subjects if s]
        if not card_photo_jpeg or len(seen) * 2 < len(frames) or not frames:
            return FaceDecision(FaceOutcome.NO_FACE, None, len(seen))
        if all(s == "holder" for s in seen):
            return FaceDecision(FaceOutcome.MATCH, 0.35, len(seen))
        return FaceDecision(FaceOutcome.MISMATCH, 0.82, len(seen))
