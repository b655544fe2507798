"""The face engine on real photos and the real clip: guidance, enrolment, the worker.

One warm worker process serves every test (tests/test_face_data.py), as it
serves every citizen of a kiosk.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

import cv2
import numpy as np
import pytest

from kiosk.identity.face import GUIDANCE_CODES, FaceError, Observation
from kiosk.identity.faceengine import DlibFaceVerifier, QualityLimits
from tests.test_face_data import (
    clip_frame,
    clip_frames,
    frame_of,
    photo,
    reference,
    rgb_of,
    verifier,
)


def observe_alone(rgb: np.ndarray) -> Observation:
    """One frame on a fresh track, as the first frame a camera shows."""
    v = verifier()
    ref = v.enroll(photo("miranda-1.png"))
    try:
        return v.observe(ref, frame_of(rgb), encode=True)
    finally:
        v.forget(ref)


def on_canvas(rgb: np.ndarray, scale: float) -> np.ndarray:
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((360, 640, 3), 160, np.uint8)
    h, w = min(360, small.shape[0]), min(640, small.shape[1])
    canvas[:h, :w] = small[:h, :w]
    return canvas


def test_a_good_frame_is_ok_with_a_box_geometry_and_distance() -> None:
    obs = observe_alone(clip_frames()[150])
    assert obs.guidance == "ok"
    assert obs.box is not None and obs.geometry is not None
    x, y, w, _h = obs.box
    assert 180 < x < 260 and 20 < y < 80 and 70 < w < 120
    assert len(obs.geometry.landmarks) == 5
    assert obs.distance is not None and obs.distance < 0.6
    # Nothing of the picture comes back: the reply is boxes, codes, numbers.
    for f in dataclasses.fields(obs):
        assert not isinstance(getattr(obs, f.name), bytes | bytearray | np.ndarray)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: np.full((360, 640, 3), 128, np.uint8), "no_face"),  # a blank wall
        (lambda: clip_frames()[50], "no_face"),  # the stage, nobody facing the camera
        (lambda: rgb_of("two-people.jpg"), "several"),
        (lambda: on_canvas(rgb_of("obama-1.jpg"), 0.24), "too_small"),
        (lambda: rgb_of("obama-partial-face.jpg"), "cut_off"),
        (lambda: (clip_frames()[150] * 0.3).astype(np.uint8), "too_dark"),
        (lambda: np.zeros((360, 640, 3), np.uint8), "too_dark"),  # a covered lens
        (lambda: cv2.GaussianBlur(clip_frames()[150], (0, 0), 2.5), "blurred"),
        (lambda: cv2.GaussianBlur(rgb_of("obama-1.jpg"), (0, 0), 9), "blurred"),
        (lambda: rgb_of("obama-1.jpg"), "ok"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_guidance_codes(make, code: str) -> None:
    obs = observe_alone(make())
    assert obs.guidance == code
    assert code in GUIDANCE_CODES
    assert (obs.distance is not None) is (code == "ok")


def test_turned_away_beyond_the_limits() -> None:
    v = DlibFaceVerifier(worker=False, quality=QualityLimits(max_yaw=0.2))
    ref = v.enroll(photo("miranda-1.png"))
    assert v.observe(ref, clip_frame(134)).guidance == "turned_away"  # yaw about -0.3
    assert v.observe(ref, clip_frame(150)).guidance == "ok"


def test_enrolment_refuses_a_card_photo_without_exactly_one_face() -> None:
    v = verifier()
    with pytest.raises(FaceError) as e:
        v.enroll(photo("two-people.jpg"))
    assert e.value.code == "several_faces_on_card"
    blank = cv2.imencode(".jpg", np.full((400, 300, 3), 200, np.uint8))[1].tobytes()
    with pytest.raises(FaceError) as e:
        v.enroll(blank)
    assert e.value.code == "no_face_on_card"
    with pytest.raises(FaceError) as e:
        v.enroll(b"not a jpeg")
    assert e.value.code == "bad_card_photo"


def test_a_wiped_reference_is_gone_from_the_engine() -> None:
    v = verifier()
    ref = v.enroll(photo("obama-1.jpg"))
    before = v.stats()["references"]
    v.forget(ref)  # Reference.wipe() alone does not wait: the UI thread may call it
    assert ref.wiped
    assert v.stats()["references"] == before - 1
    with pytest.raises(FaceError) as e:
        v.observe(ref, clip_frame(150))
    assert e.value.code == "reference_lost"
    ref.wipe()  # twice is harmless
    v.forget(ref)


def test_the_worker_starts_once_and_is_reused() -> None:
    v = verifier()
    ref = reference("miranda-1.png")
    first = v.stats()
    for i in range(150, 156):
        v.observe(ref, clip_frame(i))
    v.compare_photo(ref, photo("obama-2.jpg"))
    after = v.stats()
    assert after["pid"] == first["pid"] == v.worker_pid
    assert after["pid"] != os.getpid()
    assert after["model_loads"] == 1  # the models were loaded once, by that process
    assert after["calls"] == first["calls"] + 8  # 6 observes, 1 compare, this stats call


def test_a_dead_worker_is_replaced_and_its_references_are_lost() -> None:
    v = DlibFaceVerifier(worker=True)
    try:
        ref = v.enroll(photo("miranda-1.png"))
        old = v.worker_pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        with pytest.raises(FaceError) as e:  # the call that finds it dead, or the next
            v.observe(ref, clip_frame(150))
            v.observe(ref, clip_frame(150))
        assert e.value.code in ("engine_unavailable", "reference_lost")
        fresh = v.enroll(photo("miranda-1.png"))  # a new worker serves the next citizen
        assert v.worker_pid != old
        assert v.observe(fresh, clip_frame(150)).guidance == "ok"
    finally:
        v.close()


def test_the_calling_thread_never_stalls_during_a_verification() -> None:
    """dlib runs in the worker: a UI-like loop here keeps ticking every few ms."""
    v = verifier()
    done = threading.Event()

    def verify() -> None:
        try:
            ref = v.enroll(photo("miranda-1.png"))
            obs = [v.observe(ref, clip_frame(i)) for i in range(150, 162)]
            v.decide(ref, obs, ())
            v.forget(ref)
        finally:
            done.set()

    worker = threading.Thread(target=verify)
    tick = threading.Event()  # never set: wait() is the UI loop's idle time
    worst, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        tick.wait(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    worker.join()
    assert worst < 0.050, f"the loop stalled {worst * 1000:.0f} ms"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: clip_frames()[150], "ok"),
        (lambda: rgb_of("two-people.jpg"), "several"),
        (lambda: np.full((360, 640, 3), 128, np.uint8), "no_face"),
        (lambda: (clip_frames()[150] * 0.3).astype(np.uint8), "too_dark"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_locate_finds_the_face_with_no_reference(make, code: str) -> None:
    """The camera preview's face box: the same box and code as observing the
    frame, but nothing encoded and nothing kept in the engine."""
    v = verifier()
    rgb = make()
    before = v.stats()["references"]
    seen = v.locate(frame_of(rgb, 1.5))
    assert seen.guidance == code
    assert seen.distance is None and seen.geometry is None and seen.motion is None
    assert (seen.width, seen.height, seen.timestamp) == (rgb.shape[1], rgb.shape[0], 1.5)
    assert (seen.box is not None) is (code != "no_face")  # a dim face is still found
    if code == "ok":
        x, y, w, _h = seen.box
        assert 180 < x < 260 and 20 < y < 80 and 70 < w < 120  # as observe finds it
    assert v.stats()["references"] == before


def test_locate_leaves_the_callers_frame_to_draw_in_either_mode() -> None:
    frame = frame_of(clip_frames()[150])
    kept = bytes(frame.rgb)
    local = DlibFaceVerifier(worker=False)
    try:
        for v in (verifier(), local):
            assert v.locate(frame).guidance == "ok"
            assert bytes(frame.rgb) == kept  # the preview shows it after the box is found
    finally:
        local.close()
