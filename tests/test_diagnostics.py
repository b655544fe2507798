"""Device diagnostics on the simulators, the card test through pcscd, and the
self-test before the kiosk returns to service: passing and failing devices."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import Config, DeviceConfig, IdentityConfig
from kiosk.devices.base import Device
from kiosk.devices.camera import SimulatedCamera
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.devices.cups import CupsPrinter
from kiosk.devices.printer import SimulatedPrinter
from kiosk.devices.speaker import SimulatedSpeaker
from kiosk.devices.status import DeviceState
from kiosk.i18n import LANGUAGES
from kiosk.maintenance.diagnostics import Diagnosis, run_test, self_test
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import demo_profile

pytest_plugins = ["tests.pcsc_fixtures"]

CITIZEN = DEMO_CITIZENS[0]
CONFIG = Config(devices={"printer": DeviceConfig(options={"seconds_per_page": 0.0})})


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[dict[str, Device]]:
    cards = {CITIZEN.card_number: demo_profile(CITIZEN),
             "forged": demo_profile(CITIZEN, defect="bad-signature")}
    made: dict[str, Device] = {
        "card_reader": SimulatedCardReader(cards, read_delay_s=0.01),
        "camera": SimulatedCamera(fps=60),
        "printer": SimulatedPrinter(tmp_path / "printed", seconds_per_page=0.0),
        "speaker": SimulatedSpeaker(),
    }
    yield made
    for device in made.values():
        device.close()


def texts_hold_nothing_personal(d: Diagnosis) -> None:
    """Every language's text is there, and none names the card's holder."""
    for lang in LANGUAGES:
        text = d.text(lang)
        assert text.strip()
        for personal in (CITIZEN.name_latin, CITIZEN.name_zh, CITIZEN.id_number,
                         CITIZEN.card_number):
            assert personal not in text and personal not in str(d.values)


# --------------------------------------------------------------------------- card reader


def test_a_card_is_read_and_verified(devices: dict[str, Device]) -> None:
    reader = devices["card_reader"]
    reader.insert(CITIZEN.card_number)
    d = run_test("card_reader", reader, CONFIG)
    assert (d.device, d.passed, d.key) == ("card_reader", True, "diag.card_reader.verified")
    assert d.text("en") == "card read and verified"
    texts_hold_nothing_personal(d)


def test_a_forged_card_is_read_and_said_not_to_verify(devices: dict[str, Device]) -> None:
    reader = devices["card_reader"]
    reader.insert("forged")
    d = run_test("card_reader", reader, CONFIG)
    # The reader works: it read a card that is not genuine.
    assert d.passed and d.key == "diag.card_reader.not_authentic"
    assert d.values == {"reason": "bad_signature"}
    texts_hold_nothing_personal(d)


def test_no_card_passes_after_the_wait_and_says_to_insert_one(
        devices: dict[str, Device]) -> None:
    d = run_test("card_reader", devices["card_reader"], CONFIG, wait_s=0.2)
    assert d.passed and d.key == "diag.card_reader.no_card"
    assert d.seconds >= 0.2


def test_a_card_inserted_during_the_wait_is_read(devices: dict[str, Device]) -> None:
    reader = devices["card_reader"]
    # A technician's hand, a moment after the test started waiting.
    hand = threading.Timer(0.1, reader.insert, args=(CITIZEN.card_number,))
    hand.start()
    d = run_test("card_reader", reader, CONFIG, wait_s=20)
    hand.join()
    assert d.key == "diag.card_reader.verified" and d.seconds < 10


def test_an_unreadable_card_fails_with_the_drivers_code(devices: dict[str, Device]) -> None:
    reader = devices["card_reader"]
    reader.insert(CITIZEN.card_number)
    reader.fail_next_read("unreadable")
    d = run_test("card_reader", reader, CONFIG)
    assert not d.passed and d.key == "diag.error" and d.values == {"code": "unreadable"}
    assert "unreadable" in d.text("pt")


def test_an_offline_reader_fails_at_once(devices: dict[str, Device]) -> None:
    reader = devices["card_reader"]
    reader.set_device_state(DeviceState.OFFLINE, "pcscd_down")
    d = run_test("card_reader", reader, CONFIG, wait_s=30)
    assert not d.passed and d.key == "diag.card_reader.not_usable"
    assert d.values == {"reason": "offline"} and d.seconds < 5


def test_a_terminal_trusting_no_valid_issuer_cannot_verify(devices: dict[str, Device],
                                                           tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    config = Config(identity=IdentityConfig(trusted_issuers=(str(tmp_path / "ca.pem"),)))
    reader = devices["card_reader"]
    reader.insert(CITIZEN.card_number)
    d = run_test("card_reader", reader, config)
    assert not d.passed and d.key == "diag.card_reader.no_trust"


def test_a_card_in_a_real_pcsc_reader(pcsc_reader, insert_card) -> None:
    insert_card(demo_profile(DEMO_CITIZENS[1]))
    d = run_test("card_reader", pcsc_reader, CONFIG, wait_s=30)
    assert d.passed and d.key == "diag.card_reader.verified", d.text("en")


# --------------------------------------------------------------------------- camera


def test_the_camera_delivers_frames_at_a_rate(devices: dict[str, Device]) -> None:
    d = run_test("camera", devices["camera"], CONFIG)
    assert d.passed and d.key == "diag.camera.frames"
    assert d.values["frames"] == 10 and (d.values["width"], d.values["height"]) == (640, 480)
    assert 10 < d.values["fps"] < 120
    assert "640×480" in d.text("en")


def test_a_camera_that_gives_no_picture_fails(devices: dict[str, Device]) -> None:
    camera = devices["camera"]
    camera.fail("camera_lost")
    d = run_test("camera", camera, CONFIG, camera_timeout_s=0.5)
    assert not d.passed and d.key == "diag.camera.not_usable"
    assert d.values == {"reason": "hardwareError"}


# --------------------------------------------------------------------------- printer


def test_a_test_page_is_printed(devices: dict[str, Device], tmp_path: Path) -> None:
    d = run_test("printer", devices["printer"], CONFIG, lang="zh-Hant")
    assert d.passed and d.key == "diag.printer.printed" and d.values["pages"] == 1
    [pdf] = (tmp_path / "printed").glob("*test-page.pdf")
    assert d.values["job"] in pdf.name


@pytest.mark.parametrize(("break_it", "key", "values"), [
    (lambda p: p.load_paper(0), "diag.printer.not_usable", {"reason": "paper_out"}),
    (lambda p: p.set_cover_open(True), "diag.printer.not_usable", {"reason": "cover_open"}),
    (lambda p: p.set_offline(True), "diag.printer.not_usable", {"reason": "offline"}),
    (lambda p: p.fail_next_job("paper_jam"), "diag.error", {"code": "paper_jam"}),
], ids=["paper_out", "cover_open", "offline", "jam_mid_job"])
def test_a_printer_that_cannot_print_fails(devices: dict[str, Device], tmp_path: Path,
                                           break_it, key: str, values: dict) -> None:
    printer = devices["printer"]
    break_it(printer)
    d = run_test("printer", printer, CONFIG)
    assert (d.passed, d.key, dict(d.values)) == (False, key, values)
    assert not list((tmp_path / "printed").glob("*.pdf"))
    for lang in LANGUAGES:
        assert next(iter(values.values())) in d.text(lang)


# --------------------------------------------------------------------------- speaker


def test_the_speaker_speaks_each_language_and_chimes(devices: dict[str, Device]) -> None:
    speaker = devices["speaker"]
    d = run_test("speaker", speaker, CONFIG)
    assert d.passed and d.key == "diag.speaker.spoke"
    said = [entry[1] for entry in speaker.spoken if entry[0] == "say"]
    assert said == list(LANGUAGES)
    assert speaker.spoken[-1][:2] == ("chime", "reminder")


def test_a_broken_speaker_fails_and_sounds_nothing(devices: dict[str, Device]) -> None:
    speaker = devices["speaker"]
    speaker.fail("no_audio_device")
    d = run_test("speaker", speaker, CONFIG)
    assert not d.passed and d.key == "diag.speaker.not_usable"
    assert d.values == {"reason": "hardwareError"} and speaker.spoken == []


# --------------------------------------------------------------------------- self-test


def test_the_self_test_passes_on_working_devices_without_printing_or_speaking(
        devices: dict[str, Device], tmp_path: Path) -> None:
    results = self_test(devices, CONFIG, timeout_s=5.0)
    assert [d.device for d in results] == list(devices)
    assert all(d.passed for d in results), [d.text("en") for d in results]
    by = {d.device: d for d in results}
    assert by["card_reader"].key == "diag.card_reader.answers"
    assert by["card_reader"].values == {"media": "absent"}
    assert by["camera"].key == "diag.camera.frames" and by["camera"].values["frames"] == 3
    assert by["printer"].values == {"paper": "full"}
    assert by["speaker"].key == "diag.speaker.ready"
    assert not list((tmp_path / "printed").glob("*.pdf"))
    assert devices["speaker"].spoken == []
    for d in results:
        texts_hold_nothing_personal(d)


def test_the_self_test_names_each_failing_device(devices: dict[str, Device]) -> None:
    devices["card_reader"].set_device_state(DeviceState.NO_DEVICE, "no_reader")
    devices["camera"].fail()
    devices["printer"].load_paper(0)
    started = time.monotonic()
    results = self_test(devices, CONFIG, timeout_s=5.0)
    failed = {d.device: (d.key, dict(d.values)) for d in results if not d.passed}
    assert failed == {
        "card_reader": ("diag.card_reader.not_usable", {"reason": "noDevice"}),
        "camera": ("diag.camera.not_usable", {"reason": "hardwareError"}),
        "printer": ("diag.printer.not_usable", {"reason": "paper_out"}),
    }
    # Devices that are down are judged at once, not waited for.
    assert time.monotonic() - started < 2.0


def test_the_self_test_is_bounded_by_a_device_that_never_answers(
        devices: dict[str, Device]) -> None:
    # A CUPS server that takes the connection and never answers: lpstat hangs.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    printer = CupsPrinter("kiosk", server=f"127.0.0.1:{hung.getsockname()[1]}")
    try:
        started = time.monotonic()
        results = self_test({**devices, "printer": printer}, CONFIG, timeout_s=1.5)
        took = time.monotonic() - started
    finally:
        hung.close()  # lpstat's connection drops: its thread ends
        printer.close()
    by = {d.device: d for d in results}
    assert not by["printer"].passed and by["printer"].key == "diag.selftest.timeout"
    assert by["camera"].passed and by["card_reader"].passed
    assert 1.4 < took < 3.0
