"""The composition root's device half: the configured drivers (or simulators),
opened, each setting checked so a wrong one is a config error naming its key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config import Config, ConfigError
from kiosk.devices.base import Device
from kiosk.devices.camera import SimulatedCamera
from kiosk.devices.card_reader import SimulatedCardReader
from kiosk.devices.pcsc import PcscCardReader
from kiosk.devices.printer import SimulatedPrinter
from kiosk.devices.speaker import DEFAULT_VOLUME, SimulatedSpeaker
from kiosk.devices.status import CardReaderStatus, DeviceStatus, Media
from kiosk.i18n import LANGUAGES
from kiosk.sandbox.demo import DEMO_CITIZENS, portrait_jpeg
from kiosk.sandbox.issuer import demo_profile


def _option(config: Config, device: str, key: str, default: Any, kind: type) -> Any:
    """A driver setting, checked: a wrong type is a config error naming the key."""
    value = config.device(device).options.get(key, default)
    try:
        if kind is bool and not isinstance(value, bool):
            raise TypeError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"devices.{device}.{key}: must be a {kind.__name__}") from None


def _card_reader(config: Config) -> Device:
    if config.device("card_reader").driver == "pcsc":
        extended = config.device("card_reader").options.get("extended")
        reader: Device = PcscCardReader(
            reader=_option(config, "card_reader", "reader", "", str),
            poll_s=_option(config, "card_reader", "poll_s", 0.5, float),
            extended=None if extended is None else _option(config, "card_reader", "extended",
                                                           True, bool))
        reader.open()
        return reader
    # Demo cards personalised by the sandbox issuer: the demo reads them through
    # the same APDU code and verification as a real card.
    cards = {c.card_number: demo_profile(c) for c in DEMO_CITIZENS}
    return SimulatedCardReader(cards, read_delay_s=_option(config, "card_reader",
                                                           "read_delay_s", 0.8, float))


def build_printer(config: Config, home: Path) -> Device:
    """The configured printer, opened (the CLI's test page uses it alone)."""
    driver = config.device("printer").driver
    if driver == "cups":
        from kiosk.devices.cups import CupsPrinter

        cups = CupsPrinter(_option(config, "printer", "queue", "kiosk", str),
                           server=_option(config, "printer", "server", "", str))
        cups.open()
        return cups
    if driver == "escpos":
        from kiosk.devices.escpos import EscPosPrinter
        from kiosk.devices.escpos_transports import connector

        try:
            connect = connector(config.device("printer").options)
        except (ValueError, TypeError) as e:
            raise ConfigError(f"devices.printer: {e}") from None
        escpos = EscPosPrinter(connect, poll_s=_option(config, "printer", "poll_s", 2.0, float),
                               width_dots=_option(config, "printer", "width_dots", 576, int),
                               dpi=_option(config, "printer", "dpi", 203, int))
        escpos.open()
        return escpos
    return SimulatedPrinter(
        home / "printed", sheets=_option(config, "printer", "sheets", 500, int),
        seconds_per_page=_option(config, "printer", "seconds_per_page", 0.8, float),
        presenter=_option(config, "printer", "presenter", False, bool))


_SPEAKER_OPTIONS = frozenset({"volume", "output", "voices", "rate", "espeak", "aplay", "keep"})


def build_speaker(config: Config, home: Path) -> Device:
    """The configured speaker, opened: the screen read aloud and reminder chimes.
    No service needs it: one that is down only goes quiet (docs/speech.md)."""
    spec = config.device("speaker")
    unknown = sorted(set(spec.options) - _SPEAKER_OPTIONS)
    if unknown:
        raise ConfigError(f"devices.speaker.{unknown[0]}: unknown key")
    volume = _option(config, "speaker", "volume", DEFAULT_VOLUME, int)
    if not 0 <= volume <= 100:
        raise ConfigError("devices.speaker.volume: must be 0 to 100")
    if spec.driver == "simulator":
        return SimulatedSpeaker(volume=volume)
    if spec.driver != "espeak":
        raise ConfigError(f"devices.speaker.driver: {spec.driver!r} is not one of "
                          "simulator, espeak")
    from kiosk.devices.espeak import DEFAULT_RATE, EspeakSpeaker

    output = _option(config, "speaker", "output", "alsa:default", str)
    where, _, place = output.partition(":")
    if where not in ("alsa", "dir") or not place:
        raise ConfigError("devices.speaker.output: must be \"alsa:DEVICE\" (an ALSA PCM, "
                          "e.g. \"alsa:default\") or \"dir:PATH\"")
    voices = spec.options.get("voices", {})
    if not isinstance(voices, dict) or not all(
            lang in LANGUAGES and isinstance(v, str) and v for lang, v in voices.items()):
        raise ConfigError("devices.speaker.voices: a table of espeak-ng voice names by "
                          f"language ({', '.join(LANGUAGES)})")
    rate = _option(config, "speaker", "rate", DEFAULT_RATE, int)
    if not 80 <= rate <= 450:
        raise ConfigError("devices.speaker.rate: words per minute, 80 to 450")
    speaker = EspeakSpeaker(
        alsa_device=place if where == "alsa" else "default",
        # Relative to the terminal's data directory.
        out_dir=home / Path(place).expanduser() if where == "dir" else None,
        espeak=_option(config, "speaker", "espeak", "espeak-ng", str),
        aplay=_option(config, "speaker", "aplay", "aplay", str),
        voices=voices, rate=rate, volume=volume,
        keep=_option(config, "speaker", "keep", 50, int))
    speaker.open()
    return speaker


def build_devices(config: Config, home: Path) -> dict[str, Device]:
    reader = _card_reader(config)
    if config.device("camera").driver == "opencv":
        from kiosk.devices.opencv_camera import OpenCvCamera  # loads OpenCV

        source = config.device("camera").options.get("source", 0)
        if not isinstance(source, int | str) or isinstance(source, bool):
            raise ConfigError("devices.camera.source: a camera index, a path or a URL")
        width = config.device("camera").options.get("width")
        height = config.device("camera").options.get("height")
        opencv = OpenCvCamera(source, fps=_option(config, "camera", "fps", 30.0, float),
                              width=None if width is None else _option(config, "camera",
                                                                       "width", 0, int),
                              height=None if height is None else _option(config, "camera",
                                                                         "height", 0, int),
                              loop=_option(config, "camera", "loop", False, bool))
        opencv.open()
        return {"card_reader": reader, "camera": opencv, "printer": build_printer(config, home),
                "speaker": build_speaker(config, home)}
    camera = SimulatedCamera(fps=_option(config, "camera", "fps", 12.0, float))
    printer = build_printer(config, home)
    # Who stands at the simulated camera: the holder of the inserted card (a demo
    # card's own portrait; for any other card, a drawn stand-in), unless the
    # config says a stranger (or nobody) does, to demo a refusal.
    subject = _option(config, "camera", "subject", "holder", str)
    if subject not in ("holder", "stranger", "nobody"):
        raise ConfigError("devices.camera.subject: must be holder, stranger or nobody")

    def person_follows_card(device: Device, status: DeviceStatus) -> None:
        if isinstance(status, CardReaderStatus) and status.media is Media.PRESENT:
            key = getattr(reader, "inserted", None)
            holder = next((c for c in DEMO_CITIZENS if c.card_number == key), DEMO_CITIZENS[0])
            if subject == "nobody":
                camera.set_person(None, None)
            elif subject == "stranger":
                other = next(c for c in DEMO_CITIZENS if c is not holder)
                camera.set_person(portrait_jpeg(other), "stranger")
            else:
                camera.set_person(portrait_jpeg(holder), "holder")

    reader.subscribe(person_follows_card)
    return {"card_reader": reader, "camera": camera, "printer": printer,
            "speaker": build_speaker(config, home)}
