"""The journey with the real face engine (dlib in its worker process) and the
OpenCV camera playing real footage: the holder passes, a stranger does not, a
still photo held to the camera is not a live person."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app import build_terminal
from kiosk.cli_card import card_photo
from kiosk.config import Config, DeviceConfig, FaceConfig, SessionConfig
from kiosk.journey import ManualHost
from kiosk.sandbox.demo import DEMO_CITIZENS
from kiosk.sandbox.issuer import personalize
from tests.conftest import journey_for

FACES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "faces"
CLIP = FACES / "miranda-live-clip.mp4"


def card_with_photo(photo: Path):
    """A genuine card of a demo citizen (so the sandbox knows them) with this photo."""
    c = DEMO_CITIZENS[1]
    return personalize(c.card_number, c.id_number, c.name_zh, c.name_latin, c.sex,
                       c.date_of_birth, c.issue_date, c.expiry_date, card_photo(photo))


def run_face_journey(sandbox, photo: Path, source: Path, *, liveness: bool,
                     timeout_s: float = 6.0) -> ManualHost:
    config = Config(
        session=SessionConfig(),
        face=FaceConfig(engine="dlib", liveness=liveness, attempt_timeout_s=timeout_s),
        devices={"card_reader": DeviceConfig(options={"read_delay_s": 0.01}),
                 "camera": DeviceConfig("opencv", {"source": str(source), "loop": True}),
                 "printer": DeviceConfig(options={"seconds_per_page": 0.0})})
    terminal = build_terminal(config, backend_url=sandbox.url)
    host = ManualHost()
    try:
        journey = journey_for(terminal, host)
        reader = terminal.devices["card_reader"]
        reader.add_card("probe", card_with_photo(photo))
        # The camera reports "starting" until its source answers: the catalog
        # offers the service only once every device it needs is ready.
        host.pump(lambda: all(d.status.usable for d in terminal.devices.values()),
                  timeout=30)
        journey.start()
        journey.act("start")
        journey.act("choose_lang", "en")
        journey.act("service", "ssm.voucher-print")
        reader.insert("probe")
        host.pump(lambda: host.view.screen in ("quantity", "error"), timeout=90)
        session = journey.session
        reader.remove()
        host.pump(lambda: bool(host.reports), timeout=10)
        assert session.face_reference is None and session.card is None  # wiped
        return host
    finally:
        terminal.close()


@pytest.mark.parametrize(("photo", "expected"), [("miranda-1.png", "quantity"),
                                                 ("obama-1.jpg", "error")])
def test_the_card_holder_passes_and_a_stranger_does_not(kiosk_home, sandbox, photo: str,
                                                        expected: str) -> None:
    host = run_face_journey(sandbox, FACES / photo, CLIP, liveness=False)
    final = [v for v in host.views if v.screen in ("quantity", "error")][-1]
    assert final.screen == expected, final
    if expected == "error":
        assert final.data["message"] == "error.face.mismatch"
    # The citizen saw the live preview with the engine's face box.
    assert host.frames > 0 and any(o.get("box") for o in host.overlays)


def test_a_photo_held_to_the_camera_is_not_a_live_person(kiosk_home, sandbox) -> None:
    host = run_face_journey(sandbox, FACES / "miranda-1.png", FACES / "miranda-1.png",
                            liveness=True, timeout_s=3.0)
    final = [v for v in host.views if v.screen in ("quantity", "error")][-1]
    assert final.screen == "error" and final.data["message"] == "error.face.not_live", final
    prompts = {o.get("prompt") for o in host.overlays}
    assert any(p and p.startswith("face.challenge.") for p in prompts)
