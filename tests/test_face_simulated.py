"""The simulated verifier keeps the FaceVerifier protocol the journey uses."""

from __future__ import annotations

import pytest

from kiosk.identity.face import (
    FaceError,
    FaceOutcome,
    FaceVerifier,
    SimulatedFaceMatcher,
    SimulatedFaceVerifier,
)
from kiosk.identity.frames import Frame


def frames(*subjects: str | None) -> list[Frame]:
    return [Frame(8, 6, bytearray(8 * 6 * 3), float(i), s) for i, s in enumerate(subjects)]


def run(subjects: tuple[str | None, ...], liveness: bool = True):
    v: FaceVerifier = SimulatedFaceVerifier(liveness=liveness)
    ref = v.enroll(b"\xff\xd8 card photo")
    challenge = v.new_challenge()
    obs = [v.observe(ref, f) for f in frames(*subjects)]
    return obs, v.decide(ref, obs, challenge)


def test_the_holder_matches_and_passes_the_challenge() -> None:
    obs, d = run(("holder",) * 6)
    assert {o.guidance for o in obs} == {"ok"}
    assert all(o.box is not None and o.distance == 0.35 for o in obs)
    assert d.outcome is FaceOutcome.MATCH and d.matched
    assert d.liveness_passed is True and len(d.challenge) == 2


def test_a_stranger_does_not_match() -> None:
    _, d = run(("stranger",) * 6)
    assert d.outcome is FaceOutcome.MISMATCH and not d.matched


def test_the_holders_photo_matches_but_fails_liveness() -> None:
    _, d = run(("photo",) * 6)
    assert d.outcome is FaceOutcome.MATCH
    assert d.liveness_passed is False and d.liveness_reason == "static_image"
    assert not d.matched


def test_nobody_is_no_face_with_guidance() -> None:
    obs, d = run((None,) * 6)
    assert {o.guidance for o in obs} == {"no_face"}
    assert d.outcome is FaceOutcome.NO_FACE and d.guidance == "no_face"
    assert d.liveness_passed is False


def test_without_liveness_it_is_not_asked() -> None:
    _, d = run(("holder",) * 3, liveness=False)
    assert d.liveness_passed is None and d.challenge == () and d.matched


def test_no_card_photo_cannot_enroll_and_a_reference_wipes() -> None:
    v = SimulatedFaceVerifier()
    with pytest.raises(FaceError):
        v.enroll(b"")
    ref = v.enroll(b"photo")
    v.forget(ref)
    assert ref.wiped
    assert SimulatedFaceMatcher is SimulatedFaceVerifier


def test_locate_gives_the_box_without_a_reference() -> None:
    v: FaceVerifier = SimulatedFaceVerifier()
    holder, nobody = frames("holder", None)
    seen = v.locate(holder)
    assert seen.guidance == "ok" and seen.box == (2, 1, 4, 4)
    assert seen.distance is None and seen.geometry is None and seen.simulated_subject is None
    empty = v.locate(nobody)
    assert empty.guidance == "no_face" and empty.box is None
