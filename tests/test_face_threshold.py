"""The threshold and the "Done when" matches, reproduced on the real data.

Distances (Euclidean, 128-d dlib encodings) as docs/face.md tabulates them:
photo pairs of one person 0.06-0.41, of different people 0.70 and above;
the clip's good frames against Miranda's photo 0.31-0.62 one by one, and the
median of any five consecutive ones below the threshold; against Obama's
photo above it.
"""

from __future__ import annotations

import itertools
import statistics

import pytest

from kiosk.identity.face import FaceError, FaceOutcome
from kiosk.identity.faceengine import DEFAULT_THRESHOLD, MIN_GOOD_FRAMES
from tests.test_face_data import (
    MIRANDA,
    PHOTOS,
    STRETCHES,
    WHO,
    clip_observations,
    photo,
    reference,
    verifier,
)


@pytest.fixture(scope="module")
def pair_distances() -> dict[tuple[str, str], float]:
    v = verifier()
    return {(a, b): v.compare_photo(reference(a), photo(b))
            for a, b in itertools.combinations(PHOTOS, 2)}


def test_same_person_photo_pairs_match_and_different_ones_do_not(
        pair_distances: dict[tuple[str, str], float]) -> None:
    genuine = {k: d for k, d in pair_distances.items() if WHO[k[0]] == WHO[k[1]]}
    impostor = {k: d for k, d in pair_distances.items() if WHO[k[0]] != WHO[k[1]]}
    assert len(genuine) == 4 and len(impostor) == 11
    assert max(genuine.values()) < 0.45 < DEFAULT_THRESHOLD, genuine
    assert min(impostor.values()) > 0.69 > DEFAULT_THRESHOLD, impostor


def test_a_cut_off_face_still_matches_its_owner() -> None:
    d = verifier().compare_photo(reference("obama-1.jpg"), photo("obama-partial-face.jpg"))
    assert d < DEFAULT_THRESHOLD


def test_a_photo_of_two_people_is_refused() -> None:
    with pytest.raises(FaceError) as e:
        verifier().compare_photo(reference("obama-1.jpg"), photo("two-people.jpg"))
    assert e.value.code == "several"


def good(name: str, span: tuple[int, int] = MIRANDA) -> list[float]:
    obs = clip_observations(name)[span[0]:span[1]]
    return [o.distance for o in obs if o.guidance == "ok" and o.distance is not None]


def window_medians(distances: list[float]) -> list[float]:
    k = MIN_GOOD_FRAMES
    return [statistics.median(distances[i:i + k]) for i in range(len(distances) - k + 1)]


def test_single_clip_frames_straddle_but_medians_separate() -> None:
    mine, obama = good("miranda-1.png"), good("obama-1.jpg")
    assert len(mine) >= 30 and len(obama) >= 30
    # One frame is not enough: genuine frames come within ~0.1 of impostor frames ...
    assert min(mine) > 0.28 and max(mine) < 0.65
    assert min(obama) > 0.6
    # ... several together are: every window of MIN_GOOD_FRAMES falls on its side.
    assert max(window_medians(mine)) < DEFAULT_THRESHOLD < min(window_medians(obama))


def test_the_live_clip_matches_mirandas_photo_and_not_obamas() -> None:
    v = verifier()
    a, b = STRETCHES["turn_right,turn_left"]
    challenge = ("turn_right", "turn_left")
    mine = v.decide(reference("miranda-1.png"), clip_observations("miranda-1.png")[a:b],
                    challenge)
    assert mine.outcome is FaceOutcome.MATCH and mine.matched
    assert mine.liveness_passed is True and mine.challenge == challenge
    assert mine.score is not None and mine.score < DEFAULT_THRESHOLD
    assert mine.frames_used >= MIN_GOOD_FRAMES
    obama = v.decide(reference("obama-1.jpg"), clip_observations("obama-1.jpg")[a:b],
                     challenge)
    assert obama.outcome is FaceOutcome.MISMATCH and not obama.matched
    assert obama.score is not None and obama.score > DEFAULT_THRESHOLD


def test_the_whole_clip_matches_but_its_cut_to_another_performer_fails_liveness() -> None:
    v = verifier()
    whole = v.decide(reference("miranda-1.png"), clip_observations("miranda-1.png"), ())
    assert whole.outcome is FaceOutcome.MATCH
    assert whole.liveness_passed is False and whole.liveness_reason == "face_changed"
    assert not whole.matched
