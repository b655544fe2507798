"""The OpenCV camera driver: a device index, a V4L2 path, a video file or a stream URL.

A capture thread reads frames, turns OpenCV's BGR into the kiosk's RGB
``Frame`` and hands them to the listener. A source that fails (unplugged,
stream down, file gone) makes the status hardwareError "camera_lost"; the
thread keeps trying to reopen it, waiting longer each time, and reports
online again once frames flow. Files (and still images) play at ``fps`` and,
with ``loop``, start over at the end: the simulator plays a recorded person
that way.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.devices.camera import Camera, FrameListener
from kiosk.devices.status import CameraStatus, DeviceState
from kiosk.identity.frames import Frame

log = logging.getLogger(__name__)
BACKOFF_START_S = 0.25
BACKOFF_MAX_S = 5.0


def parse_source(source: int | str) -> int | str:
    """A config value as OpenCV wants it: "0" is device 0, anything else a path or URL."""
    if isinstance(source, str) and source.strip().isdigit():
        return int(source)
    return source


class OpenCvCamera(Camera):
    thread_role = "capture"

    def __init__(self, source: int | str, *, width: int | None = None,
                 height: int | None = None, fps: float = 30.0, name: str = "camera",
                 loop: bool = False, simulated_subject: str | None = None) -> None:
        super().__init__(name, CameraStatus(DeviceState.STARTING))
        self.source = parse_source(source)
        self.width, self.height, self.fps = width, height, fps
        self.loop = loop
        # A file standing in for a person (the demo): frames say who, for the
        # simulated verifier, and the device counts as a simulator.
        self.simulated_subject = simulated_subject
        self.simulated = simulated_subject is not None

    @property
    def is_file(self) -> bool:
        return isinstance(self.source, str) and "://" not in self.source and not \
            self.source.startswith("/dev/")

    def open(self) -> None:
        """Probe the source once, off the caller's thread; the status tells the outcome."""
        self.submit(self._probe)

    def _probe(self) -> None:
        cap = self._open_capture()
        try:
            ok = cap is not None and cap.read()[0]
        finally:
            if cap is not None:
                cap.release()
        self._set_status(CameraStatus(DeviceState.ONLINE) if ok else
                         CameraStatus(DeviceState.HARDWARE_ERROR, "camera_lost", camera="inop"))

    def _open_capture(self) -> Any:
        import cv2

        if self.is_file and not Path(str(self.source)).exists():
            return None
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            return None
        if not self.is_file:  # a device: ask for the configured mode; files are what they are
            if self.width and self.height:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a backlog
        return cap

    def _run(self, on_frame: FrameListener, stop: threading.Event) -> None:
        backoff = BACKOFF_START_S
        while not stop.is_set():
            cap = self._open_capture()
            if cap is None:
                self._lost("could not open")
                stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            try:
                delivered = self._stream(cap, on_frame, stop)
            finally:
                cap.release()
            if delivered:
                backoff = BACKOFF_START_S
            if stop.is_set():
                break
            if self.is_file and delivered and self.loop:
                continue  # start the file over: reopening also notices a file gone
            if self.is_file and delivered:
                self._set_status(CameraStatus(DeviceState.OFFLINE, "end_of_stream"))
                break
            self._lost("read failed")
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _lost(self, why: str) -> None:
        log.warning("camera %s (%s): %s", self.name, self.source, why)
        self._set_status(CameraStatus(DeviceState.HARDWARE_ERROR, "camera_lost", camera="inop"))

    def _stream(self, cap: Any, on_frame: FrameListener, stop: threading.Event) -> int:
        """Deliver frames until the source ends or fails, or ``stop``; how many were sent."""
        import cv2

        interval = 1.0 / self.fps if self.fps > 0 else 0.0
        due = time.monotonic()
        sent = 0
        while not stop.is_set():
            ok, bgr = cap.read()
            if not ok or bgr is None:
                return sent
            if self.is_file:  # files play in real time, as a camera would deliver them
                due += interval
                delay = due - time.monotonic()
                if delay > 0 and stop.wait(delay):
                    return sent
                due = max(due, time.monotonic() - interval)
            if (not self.is_file and self.width and self.height
                    and bgr.shape[:2] != (self.height, self.width)):
                bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            if sent == 0:
                self._set_status(CameraStatus(DeviceState.ONLINE))
            sent += 1
            h, w = rgb.shape[:2]
            on_frame(Frame(w, h, bytearray(rgb.tobytes()), time.time(), self.simulated_subject))
            bgr[:] = 0  # the citizen's picture lives on only in the Frame handed out
        return sent
