"""The OpenCV camera driver on real video: plays, loops, ends, loses its source, recovers.

Synchronisation is by events and queues fed from the capture thread, never by sleeping.
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices.base import Device
from kiosk.devices.opencv_camera import OpenCvCamera, parse_source
from kiosk.devices.status import CameraStatus, DeviceState, DeviceStatus
from kiosk.identity.frames import Frame
from tests.test_face_data import CLIP, clip_frames

WAIT = 10.0


class Watch:
    """Frames and status changes of one camera, as they arrive."""

    def __init__(self, camera: OpenCvCamera) -> None:
        self.frames: queue.Queue[Frame] = queue.Queue()
        self.statuses: list[DeviceStatus] = []
        self._changed = threading.Condition()
        camera.subscribe(self._on_status)

    def _on_status(self, _device: Device, status: DeviceStatus) -> None:
        with self._changed:
            self.statuses.append(status)
            self._changed.notify_all()

    def wait_status(self, state: DeviceState) -> DeviceStatus:
        with self._changed:
            ok = self._changed.wait_for(
                lambda: any(s.device is state for s in self.statuses), WAIT)
        assert ok, f"no {state} in {WAIT} s: {self.statuses}"
        return next(s for s in self.statuses if s.device is state)

    def take(self, n: int) -> list[Frame]:
        return [self.frames.get(timeout=WAIT) for _ in range(n)]

    def drain(self) -> None:
        while not self.frames.empty():
            self.frames.get_nowait()


@pytest.fixture
def short_clip(tmp_path: Path) -> Path:
    """Six frames of the real clip in a file of its own, to lose and bring back."""
    path = tmp_path / "short.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 360))
    for rgb in clip_frames()[150:156]:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    assert path.stat().st_size > 0
    return path


@pytest.fixture
def cameras() -> Iterator[list[OpenCvCamera]]:
    made: list[OpenCvCamera] = []
    yield made
    for camera in made:
        camera.close()


def test_sources_from_config() -> None:
    assert parse_source("0") == 0
    assert parse_source(2) == 2
    assert parse_source("/dev/video0") == "/dev/video0"
    assert parse_source("rtsp://cam/stream") == "rtsp://cam/stream"
    assert not OpenCvCamera("/dev/video0").is_file
    assert not OpenCvCamera("rtsp://cam/stream").is_file
    assert OpenCvCamera(str(CLIP)).is_file


def test_plays_the_clip_as_rgb_frames(cameras: list[OpenCvCamera]) -> None:
    camera = OpenCvCamera(str(CLIP), fps=500)
    cameras.append(camera)
    assert camera.status.device is DeviceState.STARTING
    watch = Watch(camera)
    camera.start(watch.frames.put)
    frames = watch.take(3)
    assert watch.wait_status(DeviceState.ONLINE) == CameraStatus(DeviceState.ONLINE)
    for f in frames:
        assert (f.width, f.height) == (640, 360)
        assert len(f.rgb) == 640 * 360 * 3
        assert f.simulated_subject is None
    first = np.frombuffer(frames[0].rgb, np.uint8).reshape(360, 640, 3)
    assert np.array_equal(first, clip_frames()[0])  # RGB, not OpenCV's BGR
    assert not camera.simulated


def test_a_file_ends_and_says_so_unless_it_loops(cameras: list[OpenCvCamera],
                                                  short_clip: Path) -> None:
    once = OpenCvCamera(str(short_clip), fps=500)
    cameras.append(once)
    watch = Watch(once)
    once.start(watch.frames.put)
    assert watch.wait_status(DeviceState.OFFLINE).detail == "end_of_stream"
    assert watch.frames.qsize() == 6
    looping = OpenCvCamera(str(short_clip), fps=500, loop=True, simulated_subject="holder")
    cameras.append(looping)
    loops = Watch(looping)
    looping.start(loops.frames.put)
    frames = loops.take(20)  # more than the file holds: it started over
    assert {f.simulated_subject for f in frames} == {"holder"}
    assert looping.simulated


def test_a_vanished_source_is_lost_then_recovered(cameras: list[OpenCvCamera],
                                                  short_clip: Path) -> None:
    camera = OpenCvCamera(str(short_clip), fps=500, loop=True)
    cameras.append(camera)
    watch = Watch(camera)
    camera.start(watch.frames.put)
    watch.take(3)
    away = short_clip.with_suffix(".gone")
    short_clip.rename(away)  # unplugged: the next reopen fails
    lost = watch.wait_status(DeviceState.HARDWARE_ERROR)
    assert lost == CameraStatus(DeviceState.HARDWARE_ERROR, "camera_lost", camera="inop")
    assert not camera.status.usable
    watch.statuses.clear()
    watch.drain()
    shutil.move(away, short_clip)  # plugged back in: the capture thread reconnects
    watch.wait_status(DeviceState.ONLINE)
    assert camera.status.usable
    assert len(watch.take(3)) == 3


def test_a_missing_source_reports_an_error_on_open(cameras: list[OpenCvCamera],
                                                   tmp_path: Path) -> None:
    camera = OpenCvCamera(str(tmp_path / "no-such-camera.mp4"))
    cameras.append(camera)
    watch = Watch(camera)
    camera.open()
    assert watch.wait_status(DeviceState.HARDWARE_ERROR).detail == "camera_lost"
    good = OpenCvCamera(str(CLIP))
    cameras.append(good)
    ok = Watch(good)
    good.open()
    ok.wait_status(DeviceState.ONLINE)


def test_stop_is_prompt_and_final(cameras: list[OpenCvCamera]) -> None:
    camera = OpenCvCamera(str(CLIP), fps=30, loop=True)
    cameras.append(camera)
    watch = Watch(camera)
    camera.start(watch.frames.put)
    watch.take(2)
    camera.stop()  # joins the capture thread: nothing can arrive after it returns
    count = watch.frames.qsize()
    assert not any(t.name == "device-camera-capture" for t in threading.enumerate())
    assert watch.frames.qsize() == count
    camera.start(watch.frames.put)  # and it starts again
    watch.take(1)
