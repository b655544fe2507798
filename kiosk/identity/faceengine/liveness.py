"""Is the face at the camera a live person? Challenge and passive signs, from geometry.

Active: the citizen acts out a random challenge, in order; each action is
read off the five landmarks across frames (see geometry.py):
- turn_left / turn_right: the nose moves across the eye line by ``turn_delta``
  eye distances and ends on that side. A flat photo turned before the camera
  cannot do this: its nose and eyes shrink together.
- closer: the eye distance grows by ``closer_ratio`` (face roughly frontal).
- nod: the nose's drop below the eye line swings by ``nod_span`` and comes back.
Passive: the face region changes between frames (a still image or a frozen
stream does not change at all), and the face does not jump between frames
(someone else stepping in, or a cut in a replayed video).

Limits are measured on the real clip (docs/face.md): its turns move the nose
by 0.2-0.5 eye distances, its landmark noise is about 0.03.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.identity.face import Observation


@dataclass(frozen=True)
class LivenessLimits:
    turn_delta: float = 0.12
    turn_min: float = 0.08
    closer_ratio: float = 1.10
    closer_max_yaw: float = 0.2  # eye distance shrinks with yaw: judge "closer" near frontal
    nod_span: float = 0.12
    nod_max_yaw: float = 0.25
    # Below this on every frame the face region never changed: a still image.
    still_motion: float = 0.5
    # Consecutive faces further apart than this (in face widths) are not one person.
    max_jump: float = 1.5
    min_face_frames: int = 5


def check(observations: Sequence[Observation], challenge: Sequence[str],
          limits: LivenessLimits | None = None) -> tuple[bool, str | None]:
    """(passed, reason): reason is None on a pass, else a stable code."""
    lim = limits or LivenessLimits()
    faces = [o for o in observations if o.geometry is not None and o.box is not None]
    if len(faces) < lim.min_face_frames:
        return False, "too_few_frames"
    if _jumped(faces, lim):
        return False, "face_changed"
    motions = [o.motion for o in faces if o.motion is not None]
    if not motions or max(motions) < lim.still_motion:
        return False, "static_image"
    pos = 0
    for action in challenge:
        done = _done_at(action, faces, pos, lim)
        if done is None:
            return False, "challenge_incomplete"
        pos = done + 1
    return True, None


def completed(observations: Sequence[Observation], challenge: Sequence[str],
              limits: LivenessLimits | None = None) -> int:
    """How many actions of the challenge are done so far: for the UI's next prompt."""
    lim = limits or LivenessLimits()
    faces = [o for o in observations if o.geometry is not None and o.box is not None]
    pos = 0
    for n, action in enumerate(challenge):
        done = _done_at(action, faces, pos, lim)
        if done is None:
            return n
        pos = done + 1
    return len(challenge)


def _jumped(faces: Sequence[Observation], lim: LivenessLimits) -> bool:
    for a, b in itertools.pairwise(faces):
        assert a.box is not None and b.box is not None
        ax, ay = a.box[0] + a.box[2] / 2, a.box[1] + a.box[3] / 2
        bx, by = b.box[0] + b.box[2] / 2, b.box[1] + b.box[3] / 2
        size = max(a.box[2], b.box[2], 1)
        if ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 > lim.max_jump * size:
            return True
    return False


def _done_at(action: str, faces: Sequence[Observation], start: int,
             lim: LivenessLimits) -> int | None:
    """Index of the frame where ``action`` is complete, looking from ``start`` on."""
    lo = hi = None  # running extremes since start: movement is measured from them
    last_extreme = None
    for i in range(start, len(faces)):
        g = faces[i].geometry
        assert g is not None
        if action in ("turn_left", "turn_right"):
            v = g.yaw
            lo = v if lo is None else min(lo, v)
            hi = v if hi is None else max(hi, v)
            if action == "turn_left" and v - lo >= lim.turn_delta and v >= lim.turn_min:
                return i
            if action == "turn_right" and hi - v >= lim.turn_delta and v <= -lim.turn_min:
                return i
        elif action == "closer":
            if abs(g.yaw) > lim.closer_max_yaw:
                continue
            v = g.eye_distance
            lo = v if lo is None else min(lo, v)
            if v >= lo * lim.closer_ratio:
                return i
        elif action == "nod":
            if abs(g.yaw) > lim.nod_max_yaw:
                continue
            v = g.pitch
            if lo is None or v < lo:
                lo, last_extreme = v, "lo"
            if hi is None or v > hi:
                hi, last_extreme = v, "hi"
            assert lo is not None and hi is not None
            if hi - lo >= lim.nod_span:
                back = v - lo if last_extreme == "lo" else hi - v
                if back >= lim.nod_span / 2:
                    return i
        else:
            raise ValueError(f"unknown challenge action {action!r}")
    return None
