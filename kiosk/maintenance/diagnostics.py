"""Device diagnostics for field staff: each device's full test, and the quick
self-test run as a technician leaves maintenance, before the kiosk serves again.

Qt-free and blocking: the maintenance screens run these off the UI thread, the
CLI (``kiosk devices test|selftest``) in its own. A device fault is never an
exception here but a failed ``Diagnosis`` whose text key says what; what a
driver raises becomes ``diag.error`` with its code. A card is read and
verified, and only whether it verifies is told, never what it holds.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.config import Config
from kiosk.devices.base import Device, DeviceError
from kiosk.devices.status import DOWN_STATES, DeviceState, DeviceStatus
from kiosk.i18n import LANGUAGES, t
from kiosk.identity.verify import TrustStore, TrustStoreError, verify_card

CAMERA_FRAMES = 10
CAMERA_TIMEOUT_S = 10.0
CARD_READ_TIMEOUT_S = 30.0
PRINT_TIMEOUT_S = 180.0
SOUND_TIMEOUT_S = 30.0
log = logging.getLogger(__name__)

Outcome = tuple[bool, str, dict[str, Any]]  # passed, text key, values


@dataclass(frozen=True)
class Diagnosis:
    """One device's test result: a text key under ``diag.`` and the values it is
    filled with (codes, counts, rates: never personal data)."""

    device: str
    passed: bool
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """Plain values for JSON (the CLI, the diagnostics bundle)."""
        return {"device": self.device, "passed": self.passed, "key": self.key,
                "values": dict(self.values), "seconds": round(self.seconds, 2),
                "text": self.text(lang)}


def terminal_trust(config: Config) -> TrustStore:
    """The issuer CAs this terminal trusts, as kiosk.app builds them (which
    maintenance may not import). Raises ``TrustStoreError`` for a bad anchor."""
    sandbox = None
    if config.identity.trusts_sandbox:
        from kiosk.sandbox.issuer import sandbox_trust_store

        sandbox = sandbox_trust_store()
    return TrustStore.from_config(config.identity, sandbox=sandbox)


def print_test_page(printer: Any, config: Config, lang: str, *, name: str = "printer") -> Any:
    """A test page on ``printer``, followed to the end of its job (``DeviceError``
    if it does not print); its ``PrintResult``. ``kiosk print test`` and the
    printer's diagnosis print this same page."""
    from kiosk.documents.testpage import render_test_page

    pdf = render_test_page(config.terminal.id, f"{name} ({config.device(name).driver})", lang)
    return printer.print_pdf(pdf, "test-page").result(timeout=PRINT_TIMEOUT_S)


# --------------------------------------------------------------------------- full tests


def run_test(name: str, device: Device, config: Config, *, wait_s: float = 5.0,
             lang: str = "en", trust: TrustStore | None = None,
             camera_timeout_s: float = CAMERA_TIMEOUT_S) -> Diagnosis:
    """Exercise one device end to end: a card read and verified (waiting up to
    ``wait_s`` for one), camera frames and their rate, a test page in ``lang``,
    each language spoken and the chime. Blocking. ``trust``: the terminal's
    trust store (built from ``config`` when not given)."""
    tests: dict[str, Callable[[], Outcome]] = {
        "card_reader": lambda: _test_card_reader(device, config, wait_s, trust),
        "camera": lambda: _test_camera(device, camera_timeout_s),
        "printer": lambda: _test_printer(name, device, config, lang),
        "speaker": lambda: _test_speaker(device),
    }
    return _timed(name, device, tests.get(device.kind, lambda: _status_only(device)))


def _timed(name: str, device: Device, test: Callable[[], Outcome]) -> Diagnosis:
    started = time.monotonic()
    try:
        passed, key, values = test()
    except DeviceError as e:
        passed, key, values = False, "diag.error", {"code": e.code}
    except concurrent.futures.TimeoutError:
        passed, key, values = False, "diag.error", {"code": "timeout"}
    except Exception as e:  # a driver's bug is still this device's failed test
        # The type only: a card reader's exception could carry what it read.
        log.error("device test of %s raised %s", name, type(e).__name__)
        passed, key, values = False, "diag.error", {"code": type(e).__name__}
    return Diagnosis(name, passed, key, values, round(time.monotonic() - started, 2))


def _reason(status: DeviceStatus) -> str:
    return status.reason or status.detail or status.device.value


def _not_usable(device: Device, status: DeviceStatus) -> Outcome:
    kind = device.kind if device.kind in ("card_reader", "camera", "printer", "speaker") \
        else "device"
    return False, f"diag.{kind}.not_usable", {"reason": _reason(status)}


def _status_only(device: Device) -> Outcome:
    status = device.status
    return (True, "diag.device.ok", {}) if status.usable else _not_usable(device, status)


def _await(device: Device, known: Callable[[DeviceStatus], bool], wait_s: float
           ) -> DeviceStatus:
    """The device's status once ``known(status)`` holds, or after ``wait_s``
    (a PC/SC reader learns of a card at a poll, a citizen's hand is slower)."""
    event = threading.Event()

    def check(_device: Device | None = None, status: DeviceStatus | None = None) -> None:
        if known(status or device.status):
            event.set()

    unsubscribe = device.subscribe(check)
    try:
        check()
        event.wait(max(0.0, wait_s))
    finally:
        unsubscribe()
    return device.status


def _card_known(status: DeviceStatus) -> bool:
    return getattr(status.media, "value", "") == "present" or status.device in DOWN_STATES


def _test_card_reader(reader: Any, config: Config, wait_s: float,
                      trust: TrustStore | None) -> Outcome:
    """The reader answers; with a card in it, the chip is read and its
    signature verified (only whether it verifies is told, never what it holds)."""
    status = _await(reader, _card_known, wait_s)
    if not status.usable:
        return _not_usable(reader, status)
    if getattr(status.media, "value", "") != "present":
        return True, "diag.card_reader.no_card", {}
    if trust is None:
        try:
            trust = terminal_trust(config)
        except TrustStoreError as e:
            log.error("no trust store for the card test: %s", e)
            return False, "diag.card_reader.no_trust", {}
    chip = reader.read_card().result(timeout=CARD_READ_TIMEOUT_S)
    try:
        verdict = verify_card(chip, trust, date.today())
    finally:
        chip.wipe()
    authentic, reason = verdict.authentic, verdict.reason
    verdict.wipe()
    if not authentic:  # a forged or damaged card: the reader itself works
        return True, "diag.card_reader.not_authentic", {"reason": reason}
    return True, "diag.card_reader.verified", {}


def _frames(camera: Any, want: int, timeout_s: float) -> tuple[list[tuple[float, int, int]],
                                                                 DeviceStatus]:
    """Up to ``want`` frames' (time, width, height) within ``timeout_s``; ends
    early if the camera fails meanwhile. Each frame is wiped at once."""
    got: list[tuple[float, int, int]] = []
    enough = threading.Event()

    def on_frame(frame: Any) -> None:
        got.append((time.monotonic(), frame.width, frame.height))
        frame.wipe()
        if len(got) >= want:
            enough.set()

    def on_status(_device: Device, status: DeviceStatus) -> None:
        if status.device in DOWN_STATES:
            enough.set()

    unsubscribe = camera.subscribe(on_status)
    camera.start(on_frame)
    try:
        enough.wait(max(0.0, timeout_s))
    finally:
        camera.stop()
        unsubscribe()
    return list(got), camera.status


def _frames_outcome(camera: Any, want: int, timeout_s: float) -> Outcome:
    got, status = _frames(camera, want, timeout_s)
    if len(got) < want:
        if not status.usable:
            return _not_usable(camera, status)
        return False, "diag.camera.no_frames", {"frames": len(got),
                                                 "seconds": round(timeout_s, 1)}
    span = got[-1][0] - got[0][0]
    fps = round((len(got) - 1) / span, 1) if len(got) > 1 and span > 0 else 0.0
    return True, "diag.camera.frames", {"frames": len(got), "width": got[-1][1],
                                        "height": got[-1][2], "fps": fps}


def _test_camera(camera: Any, timeout_s: float) -> Outcome:
    """Frames arrive, at what rate and size."""
    return _frames_outcome(camera, CAMERA_FRAMES, timeout_s)


def _refreshed(device: Any, timeout_s: float) -> DeviceStatus:
    """The device's status asked afresh where the driver can (CUPS, ESC/POS,
    espeak-ng), else the last one it reported."""
    refresh = getattr(device, "refresh", None)
    if refresh is not None:
        answer = refresh()
        if isinstance(answer, concurrent.futures.Future):
            answer.result(timeout=max(0.1, timeout_s))
    return device.status


def _test_printer(name: str, printer: Any, config: Config, lang: str) -> Outcome:
    """A test page, followed to the end of the job."""
    status = _refreshed(printer, PRINT_TIMEOUT_S)
    if not status.usable:
        return _not_usable(printer, status)
    result = print_test_page(printer, config, lang, name=name)
    return True, "diag.printer.printed", {"job": str(result.job_id), "pages": result.pages}


def _test_speaker(speaker: Any) -> Outcome:
    """A sentence in each language with a voice, then the reminder chime."""
    status = speaker.status
    if not status.usable:
        return _not_usable(speaker, status)
    voices = speaker.voices()
    for lang in LANGUAGES:
        if lang in voices:
            speaker.say(t("access.speech", lang), lang)
            _until_quiet(speaker)
    speaker.chime("reminder")
    _until_quiet(speaker)
    status = speaker.status
    if not status.usable:
        return _not_usable(speaker, status)
    said = ", ".join(f"{lang}={voices[lang]}" for lang in LANGUAGES if lang in voices)
    missing = ", ".join(lang for lang in LANGUAGES if lang not in voices)
    if missing:
        return True, "diag.speaker.spoke_some", {"voices": said, "missing": missing}
    return True, "diag.speaker.spoke", {"voices": said}


def _until_quiet(speaker: Any) -> None:
    """Wait for what the speaker sounds to end, where the driver tells."""
    done = getattr(getattr(speaker, "playback", None), "done", None)
    if done is not None:
        done.wait(SOUND_TIMEOUT_S)


# --------------------------------------------------------------------------- self-test


def self_test(devices: Mapping[str, Device], config: Config, *, camera_frames: int = 3,
              timeout_s: float = 5.0) -> list[Diagnosis]:
    """The quick check before the kiosk returns to service: each device's
    status usable, the camera delivers ``camera_frames`` frames, the card
    reader answers, the printer reports its paper. Nothing printed, nothing
    said. One Diagnosis per device, in ``devices``' order, within about
    ``timeout_s`` (the devices are checked side by side; one that has not
    answered by then fails with ``diag.selftest.timeout``)."""
    deadline = time.monotonic() + timeout_s
    found: dict[str, Diagnosis] = {}
    lock = threading.Lock()

    def check(name: str, device: Device) -> None:
        diagnosis = _timed(name, device, lambda: _quick(device, camera_frames, deadline))
        with lock:
            found[name] = diagnosis

    # Daemon threads: a driver hung past the deadline must not hold the kiosk
    # (or the CLI) from going on; its late answer is dropped.
    threads = [threading.Thread(target=check, args=(name, device), daemon=True,
                                name=f"selftest-{name}") for name, device in devices.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        return [found.get(name) or Diagnosis(name, False, "diag.selftest.timeout",
                                             {"seconds": round(timeout_s, 1)},
                                             round(timeout_s, 2))
                for name in devices]


def _quick(device: Any, camera_frames: int, deadline: float) -> Outcome:
    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    # A driver still starting (pcscd not yet asked, a camera being probed) is given
    # the time there is; a device down is judged at once.
    status = _await(device, lambda s: s.device is not DeviceState.STARTING, left())
    if device.kind == "camera":
        if status.device in DOWN_STATES:
            return _not_usable(device, status)
        return _frames_outcome(device, max(1, camera_frames), left())
    if device.kind in ("printer", "speaker"):
        status = _refreshed(device, left())
    if not status.usable:
        return _not_usable(device, status)
    if device.kind == "card_reader":
        return True, "diag.card_reader.answers", {"media": status.media.value}
    if device.kind == "printer":
        return True, "diag.printer.ready", {"paper": status.paper.value}
    if device.kind == "speaker":
        languages = ", ".join(lang for lang in LANGUAGES if lang in device.voices())
        return True, "diag.speaker.ready", {"languages": languages or "-"}
    return True, "diag.device.ok", {}
