"""The device simulators, which are the real devices of the demo and of the tests.

Every test drives a real simulator with its real worker thread; synchronisation
is by events and futures, never by sleeping.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest

from kiosk.devices.base import Device, DeviceError
from kiosk.devices.camera import SimulatedCamera
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.devices.printer import SimulatedPrinter, count_pdf_pages
from kiosk.devices.status import (
    CameraStatus,
    CardReaderStatus,
    DeviceState,
    DeviceStatus,
    Media,
    Paper,
    PrinterStatus,
)
from kiosk.identity.chip import FILES, ChipRead
from kiosk.identity.face import FaceOutcome, SimulatedFaceMatcher
from kiosk.identity.frames import Frame
from kiosk.sandbox.demo import DEMO_CITIZENS, portrait_jpeg
from tests.card_helpers import make_profile, signature_verifies

CITIZEN = DEMO_CITIZENS[0]
WAIT = 2.0  # generous upper bound for anything that should happen "at once"


def make_pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i in range(pages):
        c.drawString(72, 720, f"test page {i + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


# --------------------------------------------------------------------------- card reader


# Small cards with arbitrary file bytes and their own chip keys: the reader
# moves bytes, and what they mean is kiosk.identity's business.
CARDS = {
    "C1": make_profile(photo_size=3000),
    "C2": make_profile(photo_size=500, protocol="T=0"),
    "C3": make_profile(photo_size=900, extended=False, label="short-only"),
}
CARD = "C1"


def files_of(key: str) -> dict[str, bytes]:
    return CARDS[key].files


@pytest.fixture
def reader() -> Iterator[SimulatedCardReader]:
    r = SimulatedCardReader(CARDS, read_delay_s=0.01)
    yield r
    r.close()


@pytest.fixture
def slow_reader() -> Iterator[SimulatedCardReader]:
    """A read takes 5 s unless the card is pulled: tests end it by removing the card."""
    r = SimulatedCardReader(CARDS, read_delay_s=5.0)
    yield r
    r.remove()
    r.close()


def collect(device: Device) -> list[DeviceStatus]:
    seen: list[DeviceStatus] = []
    device.subscribe(lambda _d, s: seen.append(s))
    return seen


def test_reader_reports_insert_and_remove(reader: SimulatedCardReader) -> None:
    seen = collect(reader)
    assert reader.status.media is Media.ABSENT
    reader.insert(CARD)
    assert reader.inserted == CARD
    reader.remove()
    assert reader.inserted is None
    assert [s.media for s in seen] == [Media.PRESENT, Media.ABSENT]  # type: ignore[attr-defined]
    assert all(s.device is DeviceState.ONLINE for s in seen)


def test_reader_refuses_an_unknown_card(reader: SimulatedCardReader) -> None:
    with pytest.raises(KeyError):
        reader.insert("C9")
    assert reader.status.media is Media.ABSENT  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", list(CARDS))
def test_read_returns_the_inserted_cards_chip(reader: SimulatedCardReader, key: str) -> None:
    reader.insert(key)
    chip = reader.read_card().result(timeout=WAIT)
    assert isinstance(chip, ChipRead)
    assert chip.files == files_of(key)
    assert set(chip.files) == {f.name for f in FILES}
    assert signature_verifies(CARDS[key], chip.challenge, chip.response)
    assert chip.protocol == CARDS[key].protocol
    assert chip.apdus >= 6 and chip.atr.startswith(b"\x3b")
    assert reader.status == CardReaderStatus(DeviceState.ONLINE, media=Media.PRESENT)


def test_simulated_read_uses_the_real_apdu_sequence(reader: SimulatedCardReader) -> None:
    reader.insert("C1")
    assert reader.read_card().result(timeout=WAIT).apdus == 6  # extended length, T=1
    reader.remove()
    reader.insert("C3")  # no extended length: probe, fall back, read in 256-byte chunks
    assert reader.read_card().result(timeout=WAIT).apdus > 6


def test_read_goes_busy_then_back_online(reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    seen = collect(reader)
    reader.read_card().result(timeout=WAIT)
    assert [s.device for s in seen] == [DeviceState.BUSY, DeviceState.ONLINE]


def test_read_without_a_card_fails_no_card(reader: SimulatedCardReader) -> None:
    with pytest.raises(DeviceError) as err:
        reader.read_card().result(timeout=WAIT)
    assert err.value.code == "no_card"


def read_until_busy(reader: SimulatedCardReader) -> Future[ChipRead]:
    """Insert the card and start a read; return once the reader is in the middle of it."""
    busy = threading.Event()
    reader.subscribe(lambda _d, s: busy.set() if s.device is DeviceState.BUSY else None)
    reader.insert(CARD)
    future = reader.read_card()
    assert busy.wait(WAIT)
    return future


def test_card_pulled_mid_read_fails_quickly(slow_reader: SimulatedCardReader) -> None:
    reader = slow_reader
    future = read_until_busy(reader)
    reader.remove()
    # Well before the 5 s the read would take: the removal wakes the read at once.
    with pytest.raises(DeviceError) as err:
        future.result(timeout=WAIT)
    assert err.value.code == "card_removed"
    assert reader.status == CardReaderStatus(DeviceState.ONLINE, media=Media.ABSENT)


def test_fail_next_read_fails_exactly_one_read(reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    reader.fail_next_read("unreadable")
    with pytest.raises(DeviceError) as err:
        reader.read_card().result(timeout=WAIT)
    assert err.value.code == "unreadable"
    assert reader.read_card().result(timeout=WAIT).files == files_of(CARD)
    assert reader.read_card().result(timeout=WAIT).files == files_of(CARD)


def test_offline_reader_fails_with_reader_error(reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    reader.set_device_state(DeviceState.OFFLINE, "pcscd_down")
    status = reader.status
    assert not status.usable
    assert status.reason == "offline"
    assert status.media is Media.PRESENT  # type: ignore[attr-defined]
    with pytest.raises(DeviceError) as err:
        reader.read_card().result(timeout=WAIT)
    assert err.value.code == "reader_error"
    assert reader.status.device is DeviceState.OFFLINE  # a failed read does not revive it
    reader.set_device_state(DeviceState.ONLINE)
    assert reader.read_card().result(timeout=WAIT).files == files_of(CARD)


def test_reader_going_offline_mid_read_stays_offline(slow_reader: SimulatedCardReader) -> None:
    reader = slow_reader
    future = read_until_busy(reader)
    reader.set_device_state(DeviceState.OFFLINE, "pcscd_down")
    reader.remove()  # wakes the read
    with pytest.raises(DeviceError):
        future.result(timeout=WAIT)
    # The read's end must not report an offline reader as online again.
    assert reader.status.device is DeviceState.OFFLINE
    assert not reader.status.usable


def test_reads_are_serialised_on_one_worker_thread(reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    threads: list[str] = []
    states: list[DeviceState] = []

    def listener(_d: Device, s: DeviceStatus) -> None:
        states.append(s.device)
        threads.append(threading.current_thread().name)

    reader.subscribe(listener)
    first, second = reader.read_card(), reader.read_card()
    whoami = reader.submit(lambda: threading.current_thread().name)
    assert first.result(timeout=WAIT).files == second.result(timeout=WAIT).files
    worker = whoami.result(timeout=WAIT)
    assert worker.startswith("device-card_reader")
    assert worker != threading.current_thread().name
    # Both reads ran on the worker, one after the other: never BUSY twice in a row.
    assert states == [DeviceState.BUSY, DeviceState.ONLINE] * 2
    assert set(threads) == {worker}


def test_read_returns_a_copy_of_the_card(reader: SimulatedCardReader) -> None:
    reader.insert(CARD)
    chip = reader.read_card().result(timeout=WAIT)
    chip.wipe()
    assert reader.read_card().result(timeout=WAIT).files == files_of(CARD)


# --------------------------------------------------------------------------- printer


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    p = SimulatedPrinter(tmp_path / "printed", sheets=10, low_at=3, seconds_per_page=0)
    yield p
    p.close()


def printed(p: SimulatedPrinter) -> list[Path]:
    return sorted(p.out_dir.iterdir())


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_count_pdf_pages(pages: int) -> None:
    assert count_pdf_pages(make_pdf(pages)) == pages


def test_count_pdf_pages_of_nothing() -> None:
    assert count_pdf_pages(b"") == 0
    assert count_pdf_pages(b"%PDF-1.4\n<< /Type /Pages /Count 0 >>") == 0


def test_print_keeps_the_pdf_and_uses_paper(printer: SimulatedPrinter) -> None:
    pdf = make_pdf(2)
    result = printer.print_pdf(pdf, "test job/1").result(timeout=WAIT)
    assert result.pages == 2
    assert result.path is not None and result.path.exists()
    assert result.path.read_bytes().startswith(b"%PDF")
    assert result.path.read_bytes() == pdf
    assert result.path.parent == printer.out_dir
    assert "/" not in result.job_id and " " not in result.job_id
    assert printer.sheets == 8
    assert printed(printer) == [result.path]  # no .part file left behind
    assert printer.status == PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL)


def test_print_job_ids_are_unique(printer: SimulatedPrinter) -> None:
    pdf = make_pdf(1)
    a = printer.print_pdf(pdf, "same").result(timeout=WAIT)
    b = printer.print_pdf(pdf, "same").result(timeout=WAIT)
    assert a.job_id != b.job_id
    assert len(printed(printer)) == 2


def test_paper_low(tmp_path: Path) -> None:
    p = SimulatedPrinter(tmp_path, sheets=5, low_at=3, seconds_per_page=0)
    try:
        assert p.status.paper is Paper.FULL  # type: ignore[attr-defined]
        p.print_pdf(make_pdf(2), "job").result(timeout=WAIT)
        assert p.sheets == 3
        assert p.status.paper is Paper.LOW  # type: ignore[attr-defined]
        assert p.status.usable and p.status.reason == ""
    finally:
        p.close()


def test_paper_out_mid_job(tmp_path: Path) -> None:
    p = SimulatedPrinter(tmp_path / "out", sheets=1, seconds_per_page=0)
    try:
        seen = collect(p)
        with pytest.raises(DeviceError) as err:
            p.print_pdf(make_pdf(2), "job").result(timeout=WAIT)
        assert err.value.code == "paper_out"
        assert printed(p) == []
        status = p.status
        assert status.paper is Paper.OUT  # type: ignore[attr-defined]
        assert not status.usable
        assert status.reason == "paper_out"
        assert seen and seen[-1] == status
        # A further job fails at once, for the same reason.
        with pytest.raises(DeviceError) as again:
            p.print_pdf(make_pdf(1), "job").result(timeout=WAIT)
        assert again.value.code == "paper_out"
        p.load_paper(100)
        assert p.status.usable and p.status.paper is Paper.FULL  # type: ignore[attr-defined]
        assert p.print_pdf(make_pdf(2), "job").result(timeout=WAIT).pages == 2
        assert p.sheets == 98
    finally:
        p.close()


def test_cover_open(printer: SimulatedPrinter) -> None:
    printer.set_cover_open(True)
    assert not printer.status.usable
    assert printer.status.reason == "cover_open"
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT)
    assert err.value.code == "cover_open"
    assert printed(printer) == [] and printer.sheets == 10
    printer.set_cover_open(False)
    assert printer.status.usable
    assert printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT).pages == 1


def test_loading_paper_with_the_cover_open_keeps_it_open(printer: SimulatedPrinter) -> None:
    printer.set_cover_open(True)
    printer.load_paper(100)  # the technician loads paper through the open cover
    assert printer.status.reason == "cover_open"
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT)
    assert err.value.code == "cover_open"
    printer.set_cover_open(False)
    assert printer.status.usable


def test_closing_the_cover_of_an_offline_printer_keeps_it_offline(
        printer: SimulatedPrinter) -> None:
    printer.set_offline(True)
    printer.set_cover_open(True)
    printer.set_cover_open(False)
    assert printer.status.device is DeviceState.OFFLINE
    assert printer.status.reason == "offline"


def test_fail_next_job_fails_once(printer: SimulatedPrinter) -> None:
    printer.fail_next_job("paper_jam")
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT)
    assert err.value.code == "paper_jam"
    assert printed(printer) == [] and printer.sheets == 10
    assert printer.status.usable  # back from BUSY after the failed job
    assert printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT).pages == 1
    assert len(printed(printer)) == 1


@pytest.mark.parametrize("document", [b"", b"hello", b"%PDF-1.4\n%%EOF",
                                      make_pdf(1)[4:]], ids=["empty", "text", "no-pages",
                                                             "no-header"])
def test_not_a_pdf_is_a_bad_document(printer: SimulatedPrinter, document: bytes) -> None:
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(document, "job").result(timeout=WAIT)
    assert err.value.code == "bad_document"
    assert printed(printer) == [] and printer.sheets == 10
    assert printer.status.usable


def test_offline_printer(printer: SimulatedPrinter) -> None:
    printer.set_offline(True)
    assert not printer.status.usable
    assert printer.status.reason == "offline"
    with pytest.raises(DeviceError) as err:
        printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT)
    assert err.value.code == "offline"
    printer.set_offline(False)
    assert printer.status.usable
    assert printer.print_pdf(make_pdf(1), "job").result(timeout=WAIT).pages == 1


# --------------------------------------------------------------------------- camera


class FrameSink:
    """Collects frames from the camera thread; ``arrived`` is set on each frame."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.arrived = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, frame: Frame) -> None:
        with self._lock:
            self.frames.append(frame)
        self.arrived.set()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.frames)

    def wait_for(self, n: int, timeout: float = WAIT) -> list[Frame]:
        """Wait until at least ``n`` more frames have arrived."""
        target = self.count + n
        while self.count < target:
            self.arrived.clear()
            if self.count >= target:
                break
            if not self.arrived.wait(timeout):
                raise AssertionError(f"no frame in {timeout} s")
        with self._lock:
            return self.frames[target - n:target]

    def quiet(self, window: float = 0.2) -> bool:
        """True if no frame arrives within ``window`` seconds."""
        self.arrived.clear()
        return not self.arrived.wait(window)


@pytest.fixture
def camera() -> Iterator[SimulatedCamera]:
    cam = SimulatedCamera(fps=100, size=(64, 48))
    yield cam
    cam.close()


def test_camera_streams_the_holder(camera: SimulatedCamera) -> None:
    camera.set_person(portrait_jpeg(CITIZEN), "holder")
    sink = FrameSink()
    camera.start(sink)
    frames = sink.wait_for(3)
    for f in frames:
        assert (f.width, f.height) == (64, 48)
        assert len(f.rgb) == 64 * 48 * 3
        assert f.simulated_subject == "holder"
    # The person shows in the picture: frames differ from the empty hall.
    assert len(set(frames[0].rgb)) > 3


def test_camera_with_nobody(camera: SimulatedCamera) -> None:
    sink = FrameSink()
    camera.start(sink)
    frames = sink.wait_for(3)
    assert [f.simulated_subject for f in frames] == [None, None, None]
    assert all(len(f.rgb) == 64 * 48 * 3 for f in frames)


def test_set_person_without_a_portrait_means_nobody(camera: SimulatedCamera) -> None:
    camera.set_person(None, "holder")
    sink = FrameSink()
    camera.start(sink)
    assert sink.wait_for(2)[-1].simulated_subject is None


def test_person_arriving_while_streaming_is_seen(camera: SimulatedCamera) -> None:
    sink = FrameSink()
    camera.start(sink)
    assert sink.wait_for(1)[0].simulated_subject is None
    camera.set_person(portrait_jpeg(CITIZEN), "holder")
    sink.wait_for(2)
    assert sink.frames[-1].simulated_subject == "holder"
    camera.set_person(None, None)
    sink.wait_for(2)
    assert sink.frames[-1].simulated_subject is None


def test_camera_stop_stops_delivery(camera: SimulatedCamera) -> None:
    sink = FrameSink()
    camera.start(sink)
    sink.wait_for(2)
    camera.stop()
    count = sink.count
    assert sink.quiet()
    assert sink.count == count
    camera.start(sink)  # and it can start again
    sink.wait_for(1)


def test_camera_restart_keeps_one_stream(camera: SimulatedCamera) -> None:
    first, second = FrameSink(), FrameSink()
    camera.start(first)
    first.wait_for(1)
    camera.start(second)  # replaces the first stream
    count = first.count
    second.wait_for(3)
    assert first.count == count


def test_camera_failure_and_recovery(camera: SimulatedCamera) -> None:
    camera.set_person(portrait_jpeg(CITIZEN), "holder")
    seen = collect(camera)
    sink = FrameSink()
    camera.start(sink)
    sink.wait_for(1)
    camera.fail()
    status = camera.status
    assert isinstance(status, CameraStatus)
    assert status.camera == "inop"
    assert not status.usable
    assert status.reason == DeviceState.HARDWARE_ERROR.value
    sink.quiet(0.05)  # let a frame already on its way arrive
    count = sink.count
    assert sink.quiet()
    assert sink.count == count
    camera.recover()
    assert camera.status == CameraStatus(DeviceState.ONLINE)
    assert camera.status.usable
    assert sink.wait_for(2)[-1].simulated_subject == "holder"
    assert [s.usable for s in seen] == [False, True]


def test_camera_frames_satisfy_the_simulated_matcher(camera: SimulatedCamera) -> None:
    photo = portrait_jpeg(CITIZEN)
    camera.set_person(photo, "holder")
    sink = FrameSink()
    camera.start(sink)
    decision = SimulatedFaceMatcher().verify(photo, sink.wait_for(4))
    assert decision.outcome is FaceOutcome.MATCH
    camera.set_person(portrait_jpeg(DEMO_CITIZENS[1]), "stranger")  # while streaming
    decision = SimulatedFaceMatcher().verify(photo, sink.wait_for(4))
    assert decision.outcome is FaceOutcome.MISMATCH


# --------------------------------------------------------------------------- status model


@pytest.mark.parametrize(
    ("status", "usable", "reason"),
    [
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL), True, ""),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.LOW), True, ""),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.UNKNOWN), True, ""),
        (PrinterStatus(DeviceState.BUSY, paper=Paper.FULL), True, ""),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.OUT), False, "paper_out"),
        (PrinterStatus(DeviceState.BUSY, paper=Paper.OUT), False, "paper_out"),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL, cover_open=True), False,
         "cover_open"),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.FULL, jammed=True), False, "paper_jam"),
        (PrinterStatus(DeviceState.ONLINE, paper=Paper.OUT, cover_open=True), False,
         "paper_out"),
        (PrinterStatus(DeviceState.OFFLINE, paper=Paper.FULL), False, "offline"),
        (PrinterStatus(DeviceState.OFFLINE, paper=Paper.OUT), False, "offline"),
        (PrinterStatus(DeviceState.NO_DEVICE), False, "noDevice"),
        (PrinterStatus(DeviceState.HARDWARE_ERROR, cover_open=True), False, "hardwareError"),
        (PrinterStatus(DeviceState.STARTING), False, "starting"),
        (PrinterStatus(DeviceState.USER_ERROR), False, "userError"),
        (CardReaderStatus(DeviceState.ONLINE, media=Media.ABSENT), True, ""),
        (CardReaderStatus(DeviceState.ONLINE, media=Media.PRESENT), True, ""),
        (CardReaderStatus(DeviceState.BUSY, media=Media.PRESENT), True, ""),
        (CardReaderStatus(DeviceState.ONLINE, media=Media.UNKNOWN), True, ""),
        (CardReaderStatus(DeviceState.ONLINE, media=Media.JAMMED), False, "card_jammed"),
        (CardReaderStatus(DeviceState.OFFLINE, media=Media.JAMMED), False, "card_jammed"),
        (CardReaderStatus(DeviceState.OFFLINE, media=Media.PRESENT), False, "offline"),
        (CardReaderStatus(DeviceState.NO_DEVICE), False, "noDevice"),
        (CameraStatus(DeviceState.ONLINE), True, ""),
        (CameraStatus(DeviceState.HARDWARE_ERROR, camera="inop"), False, "hardwareError"),
        (DeviceStatus(DeviceState.STARTING), False, "starting"),
    ],
    ids=repr,
)
def test_status_usable_and_reason(status: DeviceStatus, usable: bool, reason: str) -> None:
    assert status.usable is usable
    assert status.reason == reason


# --------------------------------------------------------------------------- listeners


def test_a_raising_listener_does_not_stop_the_others(reader: SimulatedCardReader,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken(_d: Device, _s: DeviceStatus) -> None:
        calls.append("broken")
        raise RuntimeError("listener bug")

    reader.subscribe(broken)
    after = collect(reader)
    reader.insert(CARD)
    assert calls == ["broken"]
    assert [s.media for s in after] == [Media.PRESENT]  # type: ignore[attr-defined]
    assert "status listener failed" in caplog.text
    # The device still works, on its worker thread too.
    assert reader.read_card().result(timeout=WAIT).files == files_of(CARD)
    assert calls == ["broken"] * 3  # BUSY, then ONLINE again
    assert reader.status.device is DeviceState.ONLINE


def test_unsubscribe(reader: SimulatedCardReader) -> None:
    seen: list[DeviceStatus] = []
    unsubscribe = reader.subscribe(lambda _d, s: seen.append(s))
    others = collect(reader)
    reader.insert(CARD)
    unsubscribe()
    unsubscribe()  # twice is harmless
    reader.remove()
    assert [s.media for s in seen] == [Media.PRESENT]  # type: ignore[attr-defined]
    assert [s.media for s in others] == [Media.PRESENT, Media.ABSENT]  # type: ignore[attr-defined]


def test_listener_is_given_the_device(reader: SimulatedCardReader) -> None:
    devices: list[Device] = []
    reader.subscribe(lambda d, _s: devices.append(d))
    reader.insert(CARD)
    assert devices == [reader]


def test_an_unchanged_status_is_not_reported(reader: SimulatedCardReader) -> None:
    seen = collect(reader)
    reader.insert(CARD)
    reader.insert(CARD)
    reader.set_device_state(DeviceState.ONLINE)
    assert len(seen) == 1


def test_closed_device_refuses_work(tmp_path: Path) -> None:
    p = SimulatedPrinter(tmp_path, seconds_per_page=0)
    p.close()
    with pytest.raises(RuntimeError):
        p.print_pdf(make_pdf(1), "job")


def test_future_timeout_is_the_concurrent_one(slow_reader: SimulatedCardReader) -> None:
    # The journey waits on reads with result(timeout=...): a slow read times out
    # with concurrent.futures.TimeoutError, and finishes normally afterwards.
    reader = slow_reader
    reader.insert(CARD)
    future = reader.read_card()
    with pytest.raises(FutureTimeout):
        future.result(timeout=0.05)
    reader.remove()
    with pytest.raises(DeviceError):
        future.result(timeout=WAIT)
