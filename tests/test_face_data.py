"""The real face test data, loaded once per test run, and one warm face engine for all.

Photos and the clip live in ``shared/testdata/faces`` beside the repository
(``/work/shared`` here, a copy beside the clone in CI). The other face test
modules import these helpers; the engine's worker process is started once
and shared, as the kiosk shares it between citizens.
"""

from __future__ import annotations

import atexit
import functools
from pathlib import Path

import cv2
import numpy as np

from kiosk.identity.face import Observation, Reference
from kiosk.identity.faceengine import DlibFaceVerifier
from kiosk.identity.frames import Frame

FACES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "faces"
CLIP = FACES / "miranda-live-clip.mp4"
PHOTOS = ("obama-1.jpg", "obama-2.jpg", "obama-3-480p.jpg", "biden-1.jpg", "biden-2.jpg",
          "miranda-1.png")
WHO = {"obama-1.jpg": "obama", "obama-2.jpg": "obama", "obama-3-480p.jpg": "obama",
       "obama-partial-face.jpg": "obama", "biden-1.jpg": "biden", "biden-2.jpg": "biden",
       "miranda-1.png": "miranda"}

# Stretches of the clip (frame indices, end exclusive) in which Miranda does
# what a challenge asks; measured with the engine (docs/face.md).
STRETCHES = {
    "turn_right": (82, 116),
    "turn_left": (136, 162),
    "closer": (140, 162),
    "nod": (150, 173),
    "turn_right,turn_left": (82, 162),
}
MIRANDA = (82, 211)  # after it the clip cuts to another performer


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def rgb_of(name: str) -> np.ndarray:
    from PIL import Image

    with Image.open(FACES / name) as im:
        return np.asarray(im.convert("RGB")).copy()


def frame_of(rgb: np.ndarray, timestamp: float = 0.0) -> Frame:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    return Frame(rgb.shape[1], rgb.shape[0], bytearray(rgb.tobytes()), timestamp)


@functools.cache
def clip_frames() -> tuple[np.ndarray, ...]:
    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return tuple(frames)


def clip_frame(i: int) -> Frame:
    return frame_of(clip_frames()[i], i / 29.97)


@functools.cache
def verifier() -> DlibFaceVerifier:
    v = DlibFaceVerifier(worker=True)
    atexit.register(v.close)
    return v


@functools.cache
def reference(name: str) -> Reference:
    return verifier().enroll(photo(name))


@functools.cache
def clip_observations(name: str) -> tuple[Observation, ...]:
    """Every clip frame observed against ``name``'s photo, as the kiosk would (one
    encoding in ``encode_every`` good frames)."""
    v = verifier()
    ref = v.enroll(photo(name))  # its own track: frames in order, as from a camera
    try:
        return tuple(v.observe(ref, clip_frame(i))
                     for i in range(len(clip_frames())))
    finally:
        v.forget(ref)


def test_the_data_is_there() -> None:
    for name in (*PHOTOS, "obama-partial-face.jpg", "two-people.jpg"):
        assert (FACES / name).is_file(), name
    frames = clip_frames()
    assert len(frames) == 275
    assert frames[0].shape == (360, 640, 3)
