"""Is a frame good enough to compare? Each failing check is a guidance code.

The limits were set on the test data (docs/face.md has the figures): the live
clip's faces pass, the blurred, darkened and shrunken versions of the same
frames do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.identity.face import FaceGeometry

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class QualityLimits:
    # Eye distance in frame pixels: below it the 150x150 chip the encoder sees
    # is mostly upscaled blur (the clip's usable faces are 30-40 px).
    min_eye_distance_px: float = 28.0
    # Mean grey (0-255) of the face box (the clip's stage-lit faces: 84-104).
    min_brightness: float = 40.0
    # With no face found: the frame is dark if even its brightest 1 % is below
    # this (a dim stage with one lit face is not; a covered lens is).
    min_frame_peak: float = 60.0
    # Laplacian variance of the face scaled to 64x64 grey.
    min_sharpness: float = 80.0
    # A second face at least this wide (relative to the largest) makes "several";
    # smaller ones are people queueing further back.
    several_ratio: float = 0.5
    # Past these the encoder's distances drift (yaw: nose offset in eye distances).
    max_yaw: float = 0.5
    pitch_range: tuple[float, float] = (0.45, 1.3)


def clamp_box(x: int, y: int, w: int, h: int, width: int, height: int) -> Box:
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def face_patch(gray: np.ndarray, box: Box, size: int) -> np.ndarray | None:
    x, y, w, h = box
    if w < 4 or h < 4:
        return None
    return cv2.resize(gray[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_AREA)


def sharpness(patch: np.ndarray) -> float:
    return float(cv2.Laplacian(patch, cv2.CV_32F).var())


def no_face_guidance(gray: np.ndarray, limits: QualityLimits) -> str:
    """Why no face was found, as far as the frame tells: dark, blurred, or nobody there."""
    small = cv2.resize(gray, (128, 128 * gray.shape[0] // max(1, gray.shape[1])),
                       interpolation=cv2.INTER_AREA)
    if float(np.percentile(small, 99)) < limits.min_frame_peak:
        return "too_dark"
    # A blank wall has no contrast at all; a blurred scene still has contrast
    # (light and dark areas) but no edges.
    if float(small.std()) > 20 and sharpness(small) < limits.min_sharpness / 3:
        return "blurred"
    return "no_face"


def face_guidance(*, raw_box: Box, box: Box, width: int, height: int, crowd: bool,
                  geo: FaceGeometry, patch: np.ndarray | None,
                  limits: QualityLimits) -> str:
    """The first failing check, in the order a citizen can act on them."""
    if crowd:
        return "several"
    x, y, w, h = raw_box
    inside = all(0 <= px < width and 0 <= py < height for px, py in geo.landmarks)
    if x < 0 or y < 0 or x + w > width or y + h > height or not inside:
        return "cut_off"
    if geo.eye_distance < limits.min_eye_distance_px:
        return "too_small"
    if patch is None or float(patch.mean()) < limits.min_brightness:
        return "too_dark"
    if sharpness(patch) < limits.min_sharpness:
        return "blurred"
    lo, hi = limits.pitch_range
    if abs(geo.yaw) > limits.max_yaw or not lo <= geo.pitch <= hi:
        return "turned_away"
    return "ok"
