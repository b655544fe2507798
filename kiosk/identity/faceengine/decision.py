"""One decision from many observations: the aggregate distance and liveness.

Single frames are noisy (the clip's frames of the same person against the
card photo range 0.32-0.61), so the decision takes the median of at least
``min_frames`` good frames. The default threshold and the measurements behind
it are in docs/face.md; tests/test_face_threshold.py reproduces them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from kiosk.identity.face import FaceDecision, FaceOutcome, Observation
from kiosk.identity.faceengine import liveness
from kiosk.identity.faceengine.liveness import LivenessLimits

# Between the clip's largest genuine median (0.577) and its smallest impostor
# median (0.648), and dlib's own published operating point (0.6 on LFW).
DEFAULT_THRESHOLD = 0.60
MIN_GOOD_FRAMES = 5
# A good frame this far from the card photo is someone else, whatever the rest
# show (no genuine frame of the clip came above 0.62); two such frames refuse.
SWITCH_DISTANCE = 0.75


def decide(observations: Sequence[Observation], challenge: Sequence[str], *,
           threshold: float = DEFAULT_THRESHOLD, liveness_required: bool = True,
           min_frames: int = MIN_GOOD_FRAMES,
           liveness_limits: LivenessLimits | None = None) -> FaceDecision:
    distances = [o.distance for o in observations
                 if o.guidance == "ok" and o.distance is not None]
    live: bool | None = None
    reason: str | None = None
    if liveness_required:
        live, reason = liveness.check(observations, challenge, liveness_limits)
    asked = tuple(challenge) if liveness_required else ()
    if len(distances) < min_frames:
        return FaceDecision(FaceOutcome.NO_FACE, None, len(distances), live, reason, asked,
                            _main_problem(observations))
    score = round(statistics.median(distances), 4)
    switched = sum(d >= SWITCH_DISTANCE for d in distances) >= 2
    outcome = FaceOutcome.MATCH if score <= threshold and not switched else FaceOutcome.MISMATCH
    return FaceDecision(outcome, score, len(distances), live, reason, asked, None)


def _main_problem(observations: Sequence[Observation]) -> str:
    """The guidance code that most often spoiled a frame: what to tell the citizen."""
    bad = Counter(o.guidance for o in observations if o.guidance != "ok")
    return bad.most_common(1)[0][0] if bad else "no_face"
