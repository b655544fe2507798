"""Face verification: is the person at the camera the card's holder, and alive?

``FaceVerifier`` is the seam the journey uses: ``enroll`` the card photo once,
``observe`` each camera frame (a face box and a guidance code for the screen,
the geometry liveness needs and, on good frames, the distance to the card
photo), then ``decide`` on all observations together. The model-based
verifier lives in ``kiosk.identity.faceengine`` (dlib in a warm worker
process); the simulated one here decides from what the simulated camera says
it shows. ``FaceMatcher`` (one call on a few frames) is the older seam, kept
until the journey moves to ``FaceVerifier``.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from kiosk.identity.frames import Frame

# Stable codes: the UI shows ``face.guidance.<code>`` in the citizen's language.
GUIDANCE_CODES: tuple[str, ...] = (
    "ok", "no_face", "several", "too_small", "cut_off", "too_dark", "blurred", "turned_away",
)
# Stable liveness actions: the UI shows ``face.challenge.<action>``. "Left" and
# "right" are the citizen's own, not the image's (the camera faces them).
CHALLENGE_ACTIONS: tuple[str, ...] = ("turn_left", "turn_right", "nod", "closer")
TURNS: tuple[str, ...] = ("turn_left", "turn_right")


class FaceOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NO_FACE = "no_face"


class FaceError(Exception):
    """Verification cannot go on. ``code`` is stable: "no_face_on_card",
    "several_faces_on_card", "bad_card_photo", "reference_lost", "engine_unavailable"."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class FaceDecision:
    outcome: FaceOutcome
    # Distance-like score: lower is more alike. None where no face was found.
    score: float | None = None
    frames_used: int = 0
    # None: liveness was not required; else whether it passed and, if not, why
    # ("static_image", "face_changed", "challenge_incomplete", "too_few_frames").
    liveness_passed: bool | None = None
    liveness_reason: str | None = None
    challenge: tuple[str, ...] = ()
    # What most often kept frames from being usable: a guidance code for the retry screen.
    guidance: str | None = None

    @property
    def matched(self) -> bool:
        return self.outcome is FaceOutcome.MATCH and self.liveness_passed is not False


@dataclass(frozen=True)
class FaceGeometry:
    """What liveness needs from one frame; no pixels, no encoding.

    ``yaw`` is the nose's offset along the eye line in eye distances (positive:
    the face turns to the citizen's left), ``pitch`` the nose's drop below the
    eye line in eye distances, ``eye_distance`` in pixels (grows as the face
    comes closer). ``landmarks`` are the five points of dlib's 5-point model.
    """

    landmarks: tuple[tuple[float, float], ...]
    yaw: float
    pitch: float
    eye_distance: float


@dataclass(frozen=True)
class Observation:
    width: int
    height: int
    timestamp: float
    guidance: str  # one of GUIDANCE_CODES
    box: tuple[int, int, int, int] | None = None  # x, y, w, h of the face, for the screen
    geometry: FaceGeometry | None = None
    # Distance to the card photo: only on good frames the engine chose to encode.
    distance: float | None = None
    # Mean absolute change of the face region since the previous observation
    # (0-255 scale): exactly 0 for a frozen or still-image source.
    motion: float | None = None
    simulated_subject: str | None = None


class Reference:
    """An enrolled card photo: an opaque handle; the encoding stays in the engine.

    ``wipe`` (or the verifier's ``forget``) drops the encoding; the journey
    wipes it with the session.
    """

    def __init__(self, handle: int, forget: Callable[[int], None] | None = None,
                 owner: object = None, epoch: int = 0) -> None:
        self.handle = handle
        self.owner = owner  # the verifier that made it: another one cannot use it
        # Which run of the engine holds the encoding: a restarted engine has lost it.
        self.epoch = epoch
        self._forget = forget
        self._lock = threading.Lock()
        self.wiped = False

    def wipe(self) -> None:
        with self._lock:
            if self.wiped:
                return
            self.wiped = True
            forget, self._forget = self._forget, None
        if forget is not None:
            forget(self.handle)

    def __repr__(self) -> str:
        return f"Reference({self.handle}{', wiped' if self.wiped else ''})"


class FaceVerifier(Protocol):
    simulated: bool

    def enroll(self, card_photo_jpeg: bytes) -> Reference:
        """Encode the card photo once; off the UI thread. Raises FaceError."""
        ...

    def new_challenge(self) -> tuple[str, ...]:
        """A random liveness challenge, e.g. ("turn_left", "closer")."""
        ...

    def observe(self, reference: Reference, frame: Frame) -> Observation:
        """Judge one frame; off the UI thread, fast."""
        ...

    def locate(self, frame: Frame) -> Observation:
        """Where the face is and what is wrong with the picture, with no reference
        (a technician's camera preview): box and guidance code only; nothing
        encoded, nothing kept. Off the UI thread."""
        ...

    def progress(self, observations: Sequence[Observation],
                 challenge: tuple[str, ...]) -> int:
        """How many actions of ``challenge`` are done so far (for the next prompt)."""
        ...

    def ready(self, observations: Sequence[Observation], challenge: tuple[str, ...]) -> bool:
        """Is there enough to decide: the challenge done and enough good frames?"""
        ...

    def decide(self, reference: Reference, observations: Sequence[Observation],
               challenge: tuple[str, ...]) -> FaceDecision:
        """Decide on all observations of one attempt together."""
        ...

    def forget(self, reference: Reference) -> None: ...

    def close(self) -> None: ...


class FaceMatcher(Protocol):
    """The older one-call seam: still used by the journey until it moves to FaceVerifier."""

    simulated: bool

    def verify(self, card_photo_jpeg: bytes, frames: Sequence[Frame]) -> FaceDecision:
        """Decide on several frames together; runs off the UI thread."""
        ...


def random_challenge(length: int = 2) -> tuple[str, ...]:
    """A random challenge that always holds one turn.

    A turn is the one action a flat photo cannot act out: turning a photo moves
    the nose and the eyes together, a head turning moves the nose across the
    eye line. The other actions are drawn from the rest, in random order.
    """
    rng = secrets.SystemRandom()
    turn = rng.choice(TURNS)
    others = [a for a in CHALLENGE_ACTIONS if a not in TURNS]
    chosen = [turn, *rng.sample(others, k=max(0, min(length - 1, len(others))))]
    rng.shuffle(chosen)
    return tuple(chosen)


@dataclass
class SimulatedFaceVerifier:
    """Decides from the frames' ``simulated_subject``: the demo's stand-in for a model.

    Subjects: "holder" (matches), "stranger" (does not), "photo" (the holder's
    photo held to the camera: matches but fails liveness), None (nobody).
    Liveness: a simulated holder always acts out the challenge, so it passes
    whenever every face seen is a live one.
    """

    simulated = True
    liveness: bool = True
    _handles: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    def enroll(self, card_photo_jpeg: bytes) -> Reference:
        if not card_photo_jpeg:
            raise FaceError("no_face_on_card")
        return Reference(next(self._handles), owner=self)

    def new_challenge(self) -> tuple[str, ...]:
        return random_challenge() if self.liveness else ()

    def observe(self, reference: Reference, frame: Frame) -> Observation:
        subject = frame.simulated_subject
        w, h = frame.width, frame.height
        box = (w // 4, h // 6, w // 2, h * 2 // 3) if subject else None
        distance = None if subject is None else (0.82 if subject == "stranger" else 0.35)
        return Observation(w, h, frame.timestamp, "ok" if subject else "no_face", box,
                           distance=distance, motion=0.0 if subject == "photo" else 1.0,
                           simulated_subject=subject)

    def locate(self, frame: Frame) -> Observation:
        subject = frame.simulated_subject
        w, h = frame.width, frame.height
        box = (w // 4, h // 6, w // 2, h * 2 // 3) if subject else None
        return Observation(w, h, frame.timestamp, "ok" if subject else "no_face", box)

    # A simulated holder acts out one action in this many frames.
    frames_per_action: int = 4

    def progress(self, observations: Sequence[Observation],
                 challenge: tuple[str, ...]) -> int:
        live = sum(1 for o in observations if o.simulated_subject in ("holder", "stranger"))
        return min(len(challenge), live // self.frames_per_action)

    def ready(self, observations: Sequence[Observation], challenge: tuple[str, ...]) -> bool:
        seen = sum(1 for o in observations if o.simulated_subject)
        return (seen >= self.frames_per_action * max(1, len(challenge))
                and (self.progress(observations, challenge) == len(challenge)
                     or "photo" in {o.simulated_subject for o in observations}))

    def decide(self, reference: Reference, observations: Sequence[Observation],
               challenge: tuple[str, ...]) -> FaceDecision:
        seen = [o.simulated_subject for o in observations if o.simulated_subject]
        live: bool | None = None
        reason = None
        if self.liveness:
            live = bool(seen) and "photo" not in seen
            reason = None if live else ("static_image" if seen else "too_few_frames")
        base = self._judge(reference.wiped, len(observations), seen)
        return FaceDecision(base.outcome, base.score, base.frames_used, live, reason,
                            tuple(challenge) if self.liveness else (),
                            None if seen else "no_face")

    def verify(self, card_photo_jpeg: bytes, frames: Sequence[Frame]) -> FaceDecision:
        seen = [f.simulated_subject for f in frames if f.simulated_subject]
        return self._judge(not card_photo_jpeg, len(frames), seen)

    @staticmethod
    def _judge(no_reference: bool, total: int, seen: list[str]) -> FaceDecision:
        if no_reference or len(seen) * 2 < total or not total:
            return FaceDecision(FaceOutcome.NO_FACE, None, len(seen))
        if all(s in ("holder", "photo") for s in seen):
            return FaceDecision(FaceOutcome.MATCH, 0.35, len(seen))
        return FaceDecision(FaceOutcome.MISMATCH, 0.82, len(seen))

    def forget(self, reference: Reference) -> None:
        reference.wipe()

    def close(self) -> None:
        pass


# The journey still constructs the old name; both are the same simulator.
SimulatedFaceMatcher = SimulatedFaceVerifier
