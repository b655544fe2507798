"""The speaker: real espeak-ng into a directory and through aplay (on ALSA's
``null`` device, which needs no sound card), the simulator, and the wiring from
the config. Synchronised by the playbacks' events and process waits, never by
sleeping."""

from __future__ import annotations

import array
import io
import logging
import math
import shutil
import signal
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.app_devices import build_speaker
from kiosk.config import Config, ConfigError, DeviceConfig, parse
from kiosk.devices.alerts import DeviceAlerts
from kiosk.devices.base import Device
from kiosk.devices.espeak import EspeakSpeaker, Playback
from kiosk.devices.speaker import CHIMES, RATE, SimulatedSpeaker, chime_wav
from kiosk.devices.status import DeviceState, DeviceStatus, PrinterStatus
from kiosk.i18n import LANGUAGES
from kiosk.services.availability import availability
from kiosk.services.registry import load_services

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0  # an upper bound: rendering a long text takes seconds on a slow machine
SENTENCES = {
    "zh-Hant": "請取回您的身份證及列印文件，多謝使用本服務。",
    "pt": "Por favor, retire o seu cartão e o documento impresso. Obrigado.",
    "en": "Please take your identity card and your printout. Thank you.",
}
NAME = "CHAN, TAI MAN 陳大文"
# Seconds of rendering for espeak-ng: long enough to be cut off mid-way.
LONG = "The kiosk reads this screen aloud for you, sentence after sentence. " * 400


@pytest.fixture(autouse=True)
def _espeak_installed() -> None:
    assert shutil.which("espeak-ng") and shutil.which("aplay"), \
        "install espeak-ng and alsa-utils (./run installs them)"


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[EspeakSpeaker]:
    s = EspeakSpeaker(out_dir=tmp_path / "spoken")
    s.open()
    yield s
    s.close()


@pytest.fixture
def alsa_null() -> Iterator[EspeakSpeaker]:
    """Really played by aplay, on the ALSA PCM that takes sound and discards it."""
    s = EspeakSpeaker(alsa_device="null")
    s.open()
    yield s
    s.close()


def ended(playback: Playback | None) -> Playback:
    assert playback is not None
    assert playback.done.wait(WAIT), "the playback did not end"
    return playback


def read_wav(path: Path | None) -> tuple[float, float, Any]:
    """(seconds, RMS, params) of a 16-bit WAV file."""
    assert path is not None
    with wave.open(str(path)) as w:
        params = w.getparams()
        samples = array.array("h", w.readframes(w.getnframes()))
    rms = math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0
    return params.nframes / params.framerate, rms, params


# --------------------------------------------------------------------------- espeak-ng


def test_the_voices_for_macau(speaker: EspeakSpeaker) -> None:
    assert speaker.status == DeviceStatus(DeviceState.ONLINE)
    assert speaker.voices() == {"zh-Hant": "yue", "pt": "pt", "en": "en-gb"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_is_spoken_louder_and_quieter(speaker: EspeakSpeaker, lang: str) -> None:
    speaker.set_volume(100)
    speaker.say(SENTENCES[lang], lang)
    loud = ended(speaker.playback)
    speaker.set_volume(30)
    speaker.say(SENTENCES[lang], lang)
    quiet = ended(speaker.playback)
    assert (loud.outcome, quiet.outcome) == ("written", "written")
    seconds, loud_rms, params = read_wav(loud.path)
    assert 0.3 < seconds < 20
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    quiet_seconds, quiet_rms, _ = read_wav(quiet.path)
    assert quiet_seconds == pytest.approx(seconds, rel=0.01)
    # Amplitude 100 against 30: the same speech at about 3.3 times the level.
    assert 2.5 < loud_rms / quiet_rms < 4.0
    assert loud.path is not None and loud.path.name.endswith(f"-say-{lang}.wav")


def test_volume_is_clamped(speaker: EspeakSpeaker) -> None:
    assert speaker.volume == 80
    speaker.set_volume(150)
    assert speaker.volume == 100
    speaker.set_volume(-5)
    assert speaker.volume == 0


def test_a_new_say_cuts_off_the_one_playing(alsa_null: EspeakSpeaker) -> None:
    alsa_null.say(LONG, "en")
    first = alsa_null.playback
    assert first is not None and first.started.wait(WAIT)
    assert [p.args[0] for p in first.processes] == [shutil.which("espeak-ng"),
                                                    shutil.which("aplay")]
    alsa_null.say(SENTENCES["pt"], "pt")
    second = alsa_null.playback
    assert ended(first).outcome == "interrupted"
    for process in first.processes:  # both gone: espeak-ng by our signal
        assert process.wait(WAIT) is not None
    assert first.processes[0].returncode == -signal.SIGTERM
    assert ended(second).outcome == "played" and second is not first
    assert all(p.returncode == 0 for p in second.processes)


def test_stop_cuts_off_and_nothing_is_left_half_written(speaker: EspeakSpeaker) -> None:
    speaker.say(LONG, "en")
    first = speaker.playback
    assert first is not None and first.started.wait(WAIT)
    speaker.stop()
    assert ended(first).outcome == "interrupted"
    assert first.processes[0].wait(WAIT) == -signal.SIGTERM
    speaker.say(SENTENCES["en"], "en")
    second = ended(speaker.playback)
    assert second.outcome == "written"
    # The cut-off utterance left no file, whole or partial; the next one did.
    assert [p.name for p in speaker.out_dir.iterdir()] == [second.path.name]  # type: ignore[union-attr]
    assert not speaker.speaking


def test_say_returns_at_once_and_the_text_is_on_no_command_line(
        alsa_null: EspeakSpeaker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    begun = time.monotonic()
    alsa_null.say(f"{NAME}. {LONG}", "en")
    returned = time.monotonic() - begun
    playback = alsa_null.playback
    assert playback is not None and playback.started.wait(WAIT)
    assert returned < 0.25  # the rendering takes seconds; say() did not wait for it
    assert playback.started_at is not None
    assert playback.started_at - playback.requested_at < 1.0
    for process in playback.processes:
        assert not any("CHAN" in str(arg) for arg in process.args)
    alsa_null.stop()
    ended(playback)
    assert "CHAN" not in caplog.text and "陳大文" not in caplog.text
    assert f"say {len(NAME) + 2 + len(LONG)} characters in en" in caplog.text


def test_an_empty_text_says_nothing(speaker: EspeakSpeaker) -> None:
    speaker.say("  ", "en")
    assert ended(speaker.playback).outcome == "skipped"
    with pytest.raises(ValueError, match="no such language"):
        speaker.say("hello", "fr")


@pytest.mark.parametrize("kind", sorted(CHIMES))
def test_chimes_are_written_at_their_length(speaker: EspeakSpeaker, kind: str) -> None:
    speaker.chime(kind)
    playback = ended(speaker.playback)
    assert playback.outcome == "written"
    seconds, rms, params = read_wav(playback.path)
    assert params.nframes == CHIMES[kind].frames
    assert seconds == pytest.approx(CHIMES[kind].seconds, abs=1e-3)
    assert 0.3 < seconds < 1.5 and rms > 0


def test_chime_kinds_and_volume() -> None:
    assert CHIMES["reminder"].seconds == pytest.approx(0.9)  # three tones
    assert len(CHIMES["reminder"].tones) == 3 and len(CHIMES["attention"].tones) == 1

    def peak(kind: str, volume: int) -> int:
        with wave.open(io.BytesIO(chime_wav(kind, volume))) as w:
            return max(abs(x) for x in array.array("h", w.readframes(w.getnframes())))

    assert peak("reminder", 100) > 2 * peak("reminder", 30) > 0
    assert peak("attention", 100) < peak("reminder", 100) < 32767  # soft, and no clipping
    assert peak("reminder", 0) == 0


def test_chimes_play_through_aplay(alsa_null: EspeakSpeaker) -> None:
    alsa_null.chime("attention")
    playback = ended(alsa_null.playback)
    assert playback.outcome == "played"
    assert [p.returncode for p in playback.processes] == [0]


def test_missing_espeak_is_a_hardware_error_not_an_exception(tmp_path: Path) -> None:
    s = EspeakSpeaker(out_dir=tmp_path / "spoken", espeak="/nonexistent/espeak-ng")
    events: list[DeviceStatus] = []
    s.subscribe(lambda _d, status: events.append(status))
    s.open()
    try:
        assert s.status == DeviceStatus(DeviceState.HARDWARE_ERROR, "espeak_missing")
        assert events == [s.status] and s.voices() == {}
        s.say(SENTENCES["en"], "en")
        assert ended(s.playback).outcome == "skipped"
        # A chime needs no espeak-ng: a card left behind is still reminded of.
        s.chime("reminder")
        assert ended(s.playback).outcome == "written"
    finally:
        s.close()


def test_missing_audio_device_is_a_hardware_error(tmp_path: Path) -> None:
    for s, detail in ((EspeakSpeaker(alsa_device="kiosk_no_such_pcm"), "no_audio_device"),
                      (EspeakSpeaker(aplay=str(tmp_path / "aplay")), "aplay_missing")):
        s.open()
        try:
            assert s.status == DeviceStatus(DeviceState.HARDWARE_ERROR, detail)
            assert not s.status.usable and s.status.reason == "hardwareError"
            s.say(SENTENCES["pt"], "pt")
            assert ended(s.playback).outcome == "skipped"
            s.chime()
            assert ended(s.playback).outcome == "skipped"
        finally:
            s.close()


def test_a_speaker_plugged_in_later_is_found_on_the_next_request(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")  # the output directory cannot be made
    s = EspeakSpeaker(out_dir=blocked / "spoken")
    s.open()
    try:
        assert s.status.detail == "output_dir_unwritable"
        blocked.unlink()
        s.say(SENTENCES["en"], "en")
        assert ended(s.playback).outcome == "written"
        assert s.status == DeviceStatus(DeviceState.ONLINE)
    finally:
        s.close()


def test_a_missing_voice_silences_only_its_language(tmp_path: Path) -> None:
    s = EspeakSpeaker(out_dir=tmp_path, voices={"pt": "kiosk-no-such-voice"})
    s.open()
    try:
        assert s.status == DeviceStatus(DeviceState.ONLINE, "no_voice: pt")
        assert s.voices() == {"zh-Hant": "yue", "en": "en-gb"}
        s.say(SENTENCES["pt"], "pt")
        assert ended(s.playback).outcome == "skipped"
        s.say(SENTENCES["en"], "en")
        assert ended(s.playback).outcome == "written"
    finally:
        s.close()


def test_the_output_directory_keeps_only_the_last_files(tmp_path: Path) -> None:
    s = EspeakSpeaker(out_dir=tmp_path, keep=2)
    s.open()
    try:
        for _ in range(4):
            s.chime("attention")
            ended(s.playback)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "000003-chime-attention.wav", "000004-chime-attention.wav"]
    finally:
        s.close()
    again = EspeakSpeaker(out_dir=tmp_path)  # numbering goes on after a restart
    again.open()
    try:
        again.chime("reminder")
        assert ended(again.playback).path == tmp_path / "000005-chime-reminder.wav"
    finally:
        again.close()


# --------------------------------------------------------------------------- simulator


def test_the_simulator_records_fails_and_recovers() -> None:
    s = SimulatedSpeaker(volume=60)
    events: list[tuple[str, DeviceStatus]] = []
    s.subscribe(lambda d, status: events.append((d.name, status)))
    try:
        assert s.kind == "speaker" and s.simulated and s.status.usable
        assert set(s.voices()) == set(LANGUAGES)
        s.say("Olá", "pt")
        s.set_volume(120)
        s.chime()
        s.chime("attention")
        s.stop()
        assert s.spoken == [("say", "pt", "Olá", 60), ("chime", "reminder", 100),
                            ("chime", "attention", 100), ("stop",)]
        s.fail("no_audio_device")
        assert s.status == DeviceStatus(DeviceState.HARDWARE_ERROR, "no_audio_device")
        s.say("nobody hears this", "en")  # a speaker that is down sounds nothing
        s.recover()
        s.chime()
        assert s.spoken[4:] == [("chime", "reminder", 100)]
        assert events == [("speaker", DeviceStatus(DeviceState.HARDWARE_ERROR,
                                                   "no_audio_device")),
                          ("speaker", DeviceStatus(DeviceState.ONLINE))]
        with pytest.raises(ValueError, match="no such chime"):
            s.chime("siren")
    finally:
        s.close()


def test_the_simulator_keeps_only_the_last_entries() -> None:
    s = SimulatedSpeaker()
    for i in range(SimulatedSpeaker.KEEP + 10):
        s.say(f"screen {i}", "en")
    assert len(s.spoken) == SimulatedSpeaker.KEEP and s.spoken[-1][2] == f"screen {i}"
    s.close()


def test_a_speaker_down_is_an_alert_and_stops_no_service() -> None:
    s = SimulatedSpeaker()
    alerts = DeviceAlerts([s])
    s.fail("no_audio_device")
    assert [(a.device, a.condition) for a in alerts.active] == [("speaker", "hardwareError")]
    online = {name: PrinterStatus(DeviceState.ONLINE)
              for name in ("card_reader", "camera", "printer")}
    down = {**online, "speaker": s.status}
    for service in load_services().services.values():
        assert "speaker" not in service.devices
        assert availability(service, down, True) == availability(service, online, True)
    s.recover()
    assert alerts.active == []
    s.close()


# --------------------------------------------------------------------------- config


def test_the_default_speaker_is_the_simulator(tmp_path: Path) -> None:
    s = build_speaker(Config(), tmp_path)
    assert isinstance(s, SimulatedSpeaker) and s.volume == 80
    s.close()


def test_the_espeak_speaker_from_the_config(tmp_path: Path) -> None:
    cfg = parse('[devices.speaker]\ndriver = "espeak"\noutput = "dir:speech"\nvolume = 55\n'
                'rate = 140\nvoices = { en = "en-gb-x-rp" }\n')
    s = build_speaker(cfg, tmp_path)
    try:
        assert isinstance(s, EspeakSpeaker)
        assert s.out_dir == tmp_path / "speech" and s.volume == 55 and s.rate == 140
        assert s.status == DeviceStatus(DeviceState.ONLINE)
        assert s.voices()["en"] == "en-gb-x-rp"
    finally:
        s.close()
    missing = parse('[devices.speaker]\ndriver = "espeak"\nespeak = "/nonexistent"\n'
                    f'output = "dir:{tmp_path / "abs"}"\n')
    s = build_speaker(missing, tmp_path)
    try:
        assert s.status == DeviceStatus(DeviceState.HARDWARE_ERROR, "espeak_missing")
        assert isinstance(s, EspeakSpeaker) and s.out_dir == tmp_path / "abs"
    finally:
        s.close()


def test_an_unknown_driver_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"devices\.speaker\.driver: 'festival'"):
        parse('[devices.speaker]\ndriver = "festival"\n')
    with pytest.raises(ConfigError, match=r"devices\.speaker\.driver"):
        build_speaker(Config(devices={"speaker": DeviceConfig(driver="festival")}), tmp_path)


@pytest.mark.parametrize(("options", "names"), [
    ({"output": "pulse"}, "devices.speaker.output"),
    ({"output": "dir:"}, "devices.speaker.output"),
    ({"volume": 150}, "devices.speaker.volume"),
    ({"volume": "loud"}, "devices.speaker.volume"),
    ({"rate": 1000}, "devices.speaker.rate"),
    ({"voices": {"fr": "fr"}}, "devices.speaker.voices"),
    ({"voices": "yue"}, "devices.speaker.voices"),
    ({"volum": 50}, "devices.speaker.volum: unknown key"),
])
def test_bad_speaker_options_name_the_key(tmp_path: Path, options: dict[str, object],
                                          names: str) -> None:
    cfg = Config(devices={"speaker": DeviceConfig(driver="espeak", options=options)})
    with pytest.raises(ConfigError) as info:
        build_speaker(cfg, tmp_path)
    assert names in str(info.value)


def test_the_example_config_documents_the_speaker() -> None:
    text = (ROOT / "config" / "terminal.example.toml").read_text(encoding="utf-8")
    assert "[devices.speaker]" in text
    cfg = parse(text)
    assert cfg.device("speaker").driver == "simulator"


def test_the_terminal_has_a_speaker(terminal) -> None:
    speaker: Device = terminal.devices["speaker"]
    assert speaker.kind == "speaker" and isinstance(speaker, SimulatedSpeaker)
