"""Liveness on real footage: Miranda acting out each challenge passes, photos fail.

The clip's stretches where he turns, comes closer or nods stand in for a
citizen doing what the screen asks; a still photo as the video source, and a
photo moved, tilted and turned before the camera, stand in for the attacks.
"""

from __future__ import annotations

import queue

import cv2
import numpy as np
import pytest

from kiosk.devices.opencv_camera import OpenCvCamera
from kiosk.identity.face import CHALLENGE_ACTIONS, TURNS, random_challenge
from kiosk.identity.faceengine import liveness
from kiosk.identity.frames import Frame
from tests.test_face_data import (
    FACES,
    STRETCHES,
    clip_observations,
    frame_of,
    photo,
    rgb_of,
    verifier,
)


def stretch(key: str):
    a, b = STRETCHES[key]
    return clip_observations("miranda-1.png")[a:b]


@pytest.mark.parametrize("action", ["turn_right", "turn_left", "closer", "nod"])
def test_a_live_person_passes_each_action(action: str) -> None:
    assert liveness.check(stretch(action), (action,)) == (True, None)


@pytest.mark.parametrize(
    ("key", "action"),
    [("turn_right", "turn_left"), ("turn_left", "turn_right"), ("turn_right", "closer"),
     ("closer", "turn_right")],
)
def test_the_wrong_movement_does_not_pass(key: str, action: str) -> None:
    assert liveness.check(stretch(key), (action,)) == (False, "challenge_incomplete")


def test_the_actions_must_come_in_the_order_asked() -> None:
    obs = stretch("turn_right,turn_left")
    assert liveness.check(obs, ("turn_right", "turn_left")) == (True, None)
    assert liveness.check(obs, ("turn_left", "turn_right")) == (False, "challenge_incomplete")
    assert liveness.completed(obs, ("turn_left", "turn_right")) == 1


def test_another_face_stepping_in_fails() -> None:
    obs = clip_observations("miranda-1.png")[200:250]  # the cut to another performer
    assert liveness.check(obs, ()) == (False, "face_changed")


def test_too_few_faces_fail() -> None:
    assert liveness.check(clip_observations("miranda-1.png")[20:80], ()) == (
        False, "too_few_frames")


def test_random_challenges_always_hold_one_turn() -> None:
    seen = set()
    for _ in range(200):
        c = random_challenge()
        assert len(c) == 2 and len(set(c)) == 2
        assert sum(a in TURNS for a in c) == 1
        assert set(c) <= set(CHALLENGE_ACTIONS)
        seen.add(c)
    assert {a for c in seen for a in c} == set(CHALLENGE_ACTIONS)
    assert len(seen) >= 6  # order and choice vary


def collect_frames(camera: OpenCvCamera, n: int) -> list[Frame]:
    inbox: queue.Queue[Frame] = queue.Queue()
    camera.start(inbox.put)
    try:
        return [inbox.get(timeout=10) for _ in range(n)]
    finally:
        camera.stop()


def test_a_still_photo_as_the_video_source_fails() -> None:
    camera = OpenCvCamera(str(FACES / "miranda-1.png"), fps=60, loop=True)
    try:
        frames = collect_frames(camera, 15)
    finally:
        camera.close()
    v = verifier()
    ref = v.enroll(photo("miranda-1.png"))
    obs = [v.observe(ref, f) for f in frames]
    challenge = v.new_challenge()
    decision = v.decide(ref, obs, challenge)
    v.forget(ref)
    assert {o.guidance for o in obs} == {"ok"}
    assert decision.outcome.value == "match"  # it is his face ...
    assert decision.liveness_passed is False  # ... but not him
    assert decision.liveness_reason == "static_image"
    assert not decision.matched


def photo_attack_frames() -> list[Frame]:
    """Miranda's photo held before a camera: moved, brought closer, tilted, turned in 3-D."""
    rng = np.random.default_rng(7)
    face = rgb_of("miranda-1.png")
    face = cv2.resize(face, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    h, w = face.shape[:2]
    frames = []
    for i in range(36):
        t = i / 35
        turn = np.radians(45 * np.sin(2 * np.pi * t))  # turned about its vertical axis
        z = 3.0 * w * (1 - 0.25 * t)  # and brought closer
        corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        projected = []
        for x, y in corners - [w / 2, h / 2]:
            depth = z - x * np.sin(turn)
            projected.append([320 + 3.0 * w * x * np.cos(turn) / depth + 20 * np.sin(4 * t),
                              240 + 3.0 * w * y / depth])
        m = cv2.getPerspectiveTransform(corners, np.float32(projected))
        roll = cv2.getRotationMatrix2D((320, 240), 10 * np.sin(3 * t), 1.0)
        img = cv2.warpPerspective(face, m, (640, 480), borderValue=(150, 150, 150))
        img = cv2.warpAffine(img, roll, (640, 480), borderValue=(150, 150, 150))
        noisy = img.astype(np.int16) + rng.normal(0, 3, img.shape).astype(np.int16)
        frames.append(frame_of(np.clip(noisy, 0, 255).astype(np.uint8), i / 30))
    return frames


def test_a_photo_moved_and_turned_before_the_camera_cannot_turn_its_head() -> None:
    v = verifier()
    ref = v.enroll(photo("miranda-1.png"))
    obs = [v.observe(ref, f) for f in photo_attack_frames()]
    v.forget(ref)
    faces = [o for o in obs if o.geometry is not None]
    assert len(faces) >= 25
    yaws = [o.geometry.yaw for o in faces if o.geometry is not None]
    assert max(yaws) - min(yaws) < 0.1  # the nose never leaves the middle of the eyes
    for turn in TURNS:
        assert liveness.check(obs, (turn,)) == (False, "challenge_incomplete")
        assert not v.decide(ref, obs, (turn, "closer")).matched
    # Coming closer alone a photo can do: that is why every challenge holds a turn.
    assert liveness.check(obs, ("closer",)) == (True, None)
