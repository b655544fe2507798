"""The camera interface and its simulator.

A camera streams frames to a callback from its own thread while started. The
OpenCV driver and the simulator plug into the same seam.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable

from kiosk.devices.base import Device
from kiosk.devices.status import CameraStatus, DeviceState
from kiosk.identity.frames import Frame

FrameListener = Callable[[Frame], None]


class Camera(Device):
    """Streams frames to ``on_frame`` from a thread of its own while started.

    Subclasses write ``_run(on_frame, stop)``, the loop that produces frames
    until ``stop`` is set; starting, stopping and closing are shared here.
    """

    kind = "camera"
    # Names the stream thread (device-<name>-<role>), for diagnostics and tests.
    thread_role = "stream"

    def __init__(self, name: str, initial: CameraStatus) -> None:
        super().__init__(name, initial)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()

    def start(self, on_frame: FrameListener) -> None:
        with self._state_lock:
            self._halt()
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(on_frame, self._stop),
                name=f"device-{self.name}-{self.thread_role}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._state_lock:
            self._halt()

    def _halt(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            # A frame arrives within a frame time; a hung stream is left to
            # finish on its own rather than block the caller.
            self._thread.join(timeout=2)
        self._thread = None

    def close(self) -> None:
        self.stop()
        super().close()

    def _run(self, on_frame: FrameListener, stop: threading.Event) -> None:
        raise NotImplementedError


class SimulatedCamera(Camera):
    """Draws a person standing before the kiosk, swaying a little, at ``fps``.

    ``set_person`` says who stands there: the holder (the demo shows the card's
    own portrait), a stranger, or nobody; frames carry that as
    ``simulated_subject`` for the simulated face matcher.
    """

    simulated = True

    def __init__(self, *, fps: float = 12.0, size: tuple[int, int] = (640, 480),
                 name: str = "camera") -> None:
        super().__init__(name, CameraStatus(DeviceState.ONLINE))
        self._fps = fps
        self._size = size
        # (portrait JPEG, subject), replaced as one so a frame never mixes two people.
        self._person: tuple[bytes | None, str | None] = (None, None)

    def set_person(self, portrait_jpeg: bytes | None, subject: str | None = "holder") -> None:
        self._person = (portrait_jpeg, subject if portrait_jpeg else None)

    def fail(self, detail: str = "camera_lost") -> None:
        """The camera stops delivering frames, as a unplugged USB camera does."""
        self._set_status(CameraStatus(DeviceState.HARDWARE_ERROR, detail, camera="inop"))

    def recover(self) -> None:
        self._set_status(CameraStatus(DeviceState.ONLINE))

    def _run(self, on_frame: FrameListener, stop: threading.Event) -> None:
        from PIL import Image, ImageDraw

        w, h = self._size
        base = Image.new("RGB", (w, h), "#c9ced6")
        d = ImageDraw.Draw(base)
        d.rectangle((0, h * 0.62, w, h), fill="#aab1bb")  # the hall behind the citizen
        person = None
        shown: bytes | None = None
        start = time.monotonic()
        interval = 1.0 / self._fps
        while not stop.wait(interval):
            if not self.status.usable:
                continue
            # Who stands there now: set_person may change it while the camera streams.
            portrait, subject = self._person
            if portrait is not shown:
                shown, person = portrait, None
                if portrait:
                    person = Image.open(io.BytesIO(portrait)).convert("RGB")
                    person = person.resize((int(h * 0.6), int(h * 0.75)))
            t = time.monotonic() - start
            img = base.copy()
            if person is not None:
                dx = int(12 * math.sin(t * 1.7))
                dy = int(5 * math.sin(t * 2.3))
                img.paste(person, ((w - person.width) // 2 + dx, int(h * 0.14) + dy))
            on_frame(Frame(w, h, bytearray(img.tobytes()), time.time(),
                           subject if person is not None else None))
