"""Head pose from five landmarks: cheap, roll-proof ratios, no 3-D model.

The five points are dlib's 5-point model's: the outer and inner corner of the
eye on the image's right, the same of the eye on the image's left, and the
bottom of the nose. With the 68-point model the same five are picked out, so
everything downstream is the same for both models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from kiosk.identity.face import FaceGeometry

# Indices in the 68-point (iBUG 300-W) layout of the five points above.
FIVE_OF_68 = (45, 42, 36, 39, 33)

Point = tuple[float, float]


def five_points(points: Sequence[Point]) -> tuple[Point, ...]:
    if len(points) == 5:
        return tuple(points)
    if len(points) == 68:
        return tuple(points[i] for i in FIVE_OF_68)
    raise ValueError(f"expected 5 or 68 landmarks, got {len(points)}")


def geometry(points: Sequence[Point]) -> FaceGeometry:
    """Yaw and pitch as ratios to the eye distance, measured along the eye line.

    Measuring along the eye line (not the image axes) keeps a tilted head
    (roll) from reading as a turn. A flat photo turned before the camera
    shrinks the nose offset and the eye distance alike, so its yaw stays put:
    that is what makes a turn a liveness sign.
    """
    p = five_points(points)
    right_eye = ((p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2)
    left_eye = ((p[2][0] + p[3][0]) / 2, (p[2][1] + p[3][1]) / 2)
    ux, uy = right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]
    d = math.hypot(ux, uy) or 1e-6
    mx, my = (right_eye[0] + left_eye[0]) / 2, (right_eye[1] + left_eye[1]) / 2
    nx, ny = p[4][0] - mx, p[4][1] - my
    yaw = (nx * ux + ny * uy) / (d * d)
    pitch = (-nx * uy + ny * ux) / (d * d)  # along the eye line turned 90° (image y is down)
    return FaceGeometry(tuple((float(x), float(y)) for x, y in p), round(yaw, 4),
                        round(pitch, 4), round(d, 2))
