"""The dlib face engine: find, check, landmark and encode faces, in this process.

It runs inside the worker process (``worker.py``) in production, and in the
caller's process for tools and tests. Encodings of card photos stay in
``_refs``; callers get handles, boxes, codes and distances only.

Speed (the naive way, as face_recognition does it, is HOG on the whole frame
upsampled twice plus an encoding, every frame):
- a face found in the last frame is looked for again only in a region around
  it, scaled so the face is about 100 px: a few ms instead of ~100;
- the whole frame is scanned (no upsampling, at most ``scan_width`` wide) when
  the track is lost and every ``scan_every`` frames, so a second person
  stepping in is still seen;
- the encoder (the one costly step) runs only on good frames, one in
  ``encode_every``; liveness uses every frame's landmarks.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from kiosk.identity.face import FaceError, FaceGeometry, Observation
from kiosk.identity.faceengine.geometry import geometry
from kiosk.identity.faceengine.models import model_files
from kiosk.identity.faceengine.quality import (
    QualityLimits,
    clamp_box,
    face_guidance,
    face_patch,
    no_face_guidance,
)

ROI_FACE_PX = 100  # face width the tracking region is scaled to: HOG's window is ~80 px
ENROLL_MAX_SIDE = 1024  # card photos are small; big test photos are scanned shrunk


@dataclass
class _Track:
    """What the engine remembers per reference between frames: no pixels beyond a thumbnail."""

    encoding: np.ndarray
    box: tuple[int, int, int, int] | None = None  # last face, frame coordinates
    since_scan: int = 0
    crowd: bool = False
    ok_frames: int = 0
    last_patch: np.ndarray | None = field(default=None, repr=False)
    last_box: tuple[int, int, int, int] | None = None

    def wipe(self) -> None:
        self.encoding[:] = 0.0
        if self.last_patch is not None:
            self.last_patch[:] = 0
        self.last_patch = None
        self.box = None


class FaceEngine:
    loads = 0  # how often models were loaded in this process: a warm worker loads once

    def __init__(self, *, landmarks: str = "5", limits: QualityLimits | None = None,
                 encode_every: int = 2, scan_every: int = 5, scan_width: int = 640) -> None:
        import dlib  # here, not at import: a process that never verifies never loads it

        files = model_files(landmarks)
        self._dlib: Any = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(files.landmarks))
        self._encoder = dlib.face_recognition_model_v1(str(files.encoder))
        self.landmarks = landmarks
        self.limits = limits or QualityLimits()
        self.encode_every = max(1, encode_every)
        self.scan_every = max(1, scan_every)
        self.scan_width = scan_width
        self._tracks: dict[int, _Track] = {}
        self._handles = itertools.count(1)
        FaceEngine.loads += 1

    # ------------------------------------------------------------------ card photo

    def enroll(self, photo: bytes) -> int:
        """Encode the card photo; the handle names it from now on."""
        encoding = self.encode_photo(photo, missing="no_face_on_card",
                                     several="several_faces_on_card")
        handle = next(self._handles)
        self._tracks[handle] = _Track(encoding)
        return handle

    def compare_photo(self, handle: int, photo: bytes) -> float:
        """Distance from an enrolled reference to the one face on another photo."""
        probe = self.encode_photo(photo, missing="no_face", several="several")
        try:
            return float(np.linalg.norm(probe - self._track(handle).encoding))
        finally:
            probe[:] = 0.0

    def encode_photo(self, photo: bytes, *, missing: str, several: str) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(photo)) as im:
                rgb = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError) as e:
            raise FaceError("bad_card_photo", str(e)) from None
        h, w = rgb.shape[:2]
        # A card photo is small: look twice as closely (upsample) as face_recognition
        # does; a large photo is shrunk first, the face is big enough either way.
        s = min(1.0, ENROLL_MAX_SIDE / max(h, w))
        small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else rgb
        found = self._detector(small, 1 if max(h, w) * s < 800 else 0)
        rects = sorted(found, key=lambda r: r.area(), reverse=True)
        if not rects:
            raise FaceError(missing)
        if len(rects) > 1 and rects[1].width() >= self.limits.several_ratio * rects[0].width():
            raise FaceError(several)
        r = rects[0]
        rect = self._dlib.rectangle(int(r.left() / s), int(r.top() / s),
                                    int(r.right() / s), int(r.bottom() / s))
        shape = self._shape(rgb, rect)
        return np.array(self._encoder.compute_face_descriptor(rgb, shape))

    def forget(self, handle: int) -> None:
        track = self._tracks.pop(handle, None)
        if track is not None:
            track.wipe()

    def _track(self, handle: int) -> _Track:
        track = self._tracks.get(handle)
        if track is None:
            raise FaceError("reference_lost")
        return track

    # ------------------------------------------------------------------ frames

    def observe(self, handle: int, width: int, height: int, rgb: bytes | bytearray,
                timestamp: float = 0.0, encode: bool | None = None) -> Observation:
        """Judge one RGB888 frame against the reference ``handle``.

        ``encode``: True always encodes a good frame, False never, None one in
        ``encode_every`` good frames.
        """
        track = self._track(handle)
        img = np.frombuffer(rgb, np.uint8).reshape(height, width, 3)
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        rects = self._find(track, gray)
        if not rects:
            track.box, track.last_patch, track.last_box = None, None, None
            return Observation(width, height, timestamp, no_face_guidance(gray, self.limits))
        code, box, geo, shape = self._judge(img, gray, rects[0], track.crowd)
        track.box = box
        motion = self._motion(track, gray, box)
        distance = None
        if code == "ok":
            track.ok_frames += 1
            wanted = encode if encode is not None else (
                (track.ok_frames - 1) % self.encode_every == 0)
            if wanted:
                distance = self._distance(track, img, shape)
        return Observation(width, height, timestamp, code, box, geo, distance, motion)

    def locate(self, width: int, height: int, rgb: bytes | bytearray,
               timestamp: float = 0.0) -> Observation:
        """Where the face is in one RGB888 frame and what is wrong with it, with no
        reference: a camera preview's face box. A whole-frame scan each time (no
        track, no encoding): nothing of the frame outlives the call."""
        img = np.frombuffer(rgb, np.uint8).reshape(height, width, 3)
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        rects, crowd = self._scan(gray)
        if not rects:
            return Observation(width, height, timestamp, no_face_guidance(gray, self.limits))
        code, box, _geo, _shape = self._judge(img, gray, rects[0], crowd)
        return Observation(width, height, timestamp, code, box)

    def _judge(self, img: np.ndarray, gray: np.ndarray, main: Any, crowd: bool
               ) -> tuple[str, tuple[int, int, int, int], Any, Any]:
        """What is wrong with the face ``main`` (a guidance code, "ok" if nothing),
        its box clamped to the frame, its geometry and its landmarks."""
        height, width = gray.shape
        raw = (main.left(), main.top(), main.width(), main.height())
        box = clamp_box(*raw, width, height)
        shape = self._shape(img, main)
        geo = geometry([(p.x, p.y) for p in shape.parts()])
        code = face_guidance(raw_box=raw, box=box, width=width, height=height, crowd=crowd,
                             geo=geo, patch=face_patch(gray, box, 64), limits=self.limits)
        return code, box, geo, shape

    def _distance(self, track: _Track, img: np.ndarray, shape: Any) -> float:
        probe = np.array(self._encoder.compute_face_descriptor(img, shape))
        d = float(np.linalg.norm(probe - track.encoding))
        probe[:] = 0.0  # the frame's encoding never outlives the call
        return round(d, 4)

    @staticmethod
    def _motion(track: _Track, gray: np.ndarray, box: tuple[int, int, int, int]
                ) -> float | None:
        """Change since the last frame, in the last frame's face region.

        The same region in both frames: the detector's box jitters by a few
        pixels even on identical frames, which must not read as motion.
        """
        motion = None
        if track.last_patch is not None and track.last_box is not None:
            now = face_patch(gray, track.last_box, 32)
            if now is not None:
                motion = round(float(np.abs(now.astype(np.float32) - track.last_patch).mean()), 3)
        patch = face_patch(gray, box, 32)
        track.last_patch = None if patch is None else patch.astype(np.float32)
        track.last_box = box
        return motion

    def _find(self, track: _Track, gray: np.ndarray) -> list[Any]:
        """Faces, largest first: near the last one if possible, else in the whole frame."""
        if track.box is not None and track.since_scan < self.scan_every:
            track.since_scan += 1
            found = self._near(track.box, gray)
            if found:
                return found
        track.since_scan = 0
        # Who else is there is known only from full scans; it holds until the next one.
        found, track.crowd = self._scan(gray)
        return found

    def _scan(self, gray: np.ndarray) -> tuple[list[Any], bool]:
        """Faces in the whole frame, largest first, and whether someone else is
        close enough to the camera to count (a second face nearly as large)."""
        s = min(1.0, self.scan_width / gray.shape[1])
        found = sorted(self._detect(gray, 0, 0, s), key=lambda r: r.area(), reverse=True)
        crowd = len(found) > 1 and (
            found[1].width() >= self.limits.several_ratio * found[0].width())
        return found, crowd

    def _near(self, box: tuple[int, int, int, int], gray: np.ndarray) -> list[Any]:
        x, y, w, h = box
        H, W = gray.shape
        mx, my = int(w * 0.7), int(h * 0.7)  # room for a head moving between frames
        x0, y0, x1, y1 = max(0, x - mx), max(0, y - my), min(W, x + w + mx), min(H, y + h + my)
        s = min(1.0, ROI_FACE_PX / max(1, w))
        return sorted(self._detect(gray[y0:y1, x0:x1], x0, y0, s), key=lambda r: r.area(),
                      reverse=True)

    def _detect(self, gray: np.ndarray, ox: int, oy: int, s: float) -> list[Any]:
        img = gray if s >= 1.0 else cv2.resize(gray, None, fx=s, fy=s,
                                              interpolation=cv2.INTER_AREA)
        rect = self._dlib.rectangle
        return [rect(int(r.left() / s) + ox, int(r.top() / s) + oy,
                     int(r.right() / s) + ox, int(r.bottom() / s) + oy)
                for r in self._detector(np.ascontiguousarray(img), 0)]

    def stats(self) -> dict[str, Any]:
        return {"model_loads": FaceEngine.loads, "references": len(self._tracks),
                "landmarks": self.landmarks}


__all__ = ["FaceEngine", "FaceGeometry"]
