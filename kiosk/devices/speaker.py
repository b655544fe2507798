"""The speaker: the screen read aloud (ADA 707 speech output) and reminder chimes.

A speaker says a text in the citizen's language through the headphone jack and
sounds short chimes ("take your card"). Every call returns at once: the UI
thread calls it. A new ``say`` or ``chime``, or ``stop()``, cuts off what is
sounding. The espeak-ng driver (``kiosk.devices.espeak``) and the simulator
plug into the same seam; the chimes are made here, with the stdlib.

What is said may hold a citizen's name: it never reaches a log (only its
language and length do), and it is never put on a command line.
"""

from __future__ import annotations

import array
import io
import logging
import math
import sys
import threading
import wave
from dataclasses import dataclass
from functools import lru_cache

from kiosk.devices.base import Device
from kiosk.devices.status import DeviceState, DeviceStatus
from kiosk.i18n import LANGUAGES

log = logging.getLogger(__name__)

DEFAULT_VOLUME = 80
RATE = 22050  # samples per second: espeak-ng's own, so speech and chimes match


class Speaker(Device):
    """Speech output and chimes. Subclasses write ``_say``, ``_chime`` and ``_stop``;
    the checks, the volume and the logging (never the text) are shared here."""

    kind = "speaker"

    def __init__(self, name: str, initial: DeviceStatus, *, volume: int = DEFAULT_VOLUME) -> None:
        super().__init__(name, initial)
        self._volume = _clamp(volume)

    @property
    def volume(self) -> int:
        """0-100, applied to the next utterance or chime."""
        return self._volume

    def set_volume(self, percent: int) -> None:
        self._volume = _clamp(percent)

    def say(self, text: str, lang: str) -> None:
        """Say ``text`` in ``lang`` ("zh-Hant", "pt", "en"), cutting off what sounds.
        Returns at once. Raises ``ValueError`` for another language (a bug in
        the caller); a speaker that is down says nothing rather than raise."""
        if lang not in LANGUAGES:
            raise ValueError(f"no such language {lang!r} (one of {', '.join(LANGUAGES)})")
        log.info("speaker %s: say %d characters in %s at volume %d", self.name, len(text),
                 lang, self._volume)
        self._say(text, lang, self._volume)

    def chime(self, kind: str = "reminder") -> None:
        """Sound a short chime, cutting off what sounds. Returns at once. ``kind``:
        "reminder" (three rising tones; the caller repeats it) or "attention"
        (one soft tone)."""
        if kind not in CHIMES:
            raise ValueError(f"no such chime {kind!r} (one of {', '.join(CHIMES)})")
        log.debug("speaker %s: chime %s at volume %d", self.name, kind, self._volume)
        self._chime(kind, self._volume)

    def stop(self) -> None:
        """Cut off what is sounding, if anything. Returns at once."""
        self._stop()

    def voices(self) -> dict[str, str]:
        """The languages this speaker can say, each with its voice's name."""
        raise NotImplementedError

    def _say(self, text: str, lang: str, volume: int) -> None:
        raise NotImplementedError

    def _chime(self, kind: str, volume: int) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError


def _clamp(percent: int | float) -> int:
    return max(0, min(100, round(percent)))


# --------------------------------------------------------------------------- simulator


class SimulatedSpeaker(Speaker):
    """Records what it is asked to sound in ``spoken``, in order:
    ``("say", lang, text, volume)``, ``("chime", kind, volume)`` and ``("stop",)``.

    Told to ``fail(code)``, it reports a hardware error and, as a real speaker
    that is down, sounds (and records) nothing until ``recover()``. It keeps the
    last ``KEEP`` entries only: what is said may be personal, and a terminal
    whose config names no speaker runs this one for as long as it is up.
    """

    simulated = True
    KEEP = 500

    def __init__(self, *, volume: int = DEFAULT_VOLUME, name: str = "speaker") -> None:
        super().__init__(name, DeviceStatus(DeviceState.ONLINE), volume=volume)
        self.spoken: list[tuple[object, ...]] = []
        self._record_lock = threading.Lock()

    def voices(self) -> dict[str, str]:
        return {lang: f"simulated-{lang}" for lang in LANGUAGES}

    def fail(self, code: str = "no_audio_device") -> None:
        """The speaker breaks (unplugged amplifier, lost sound card ...)."""
        self._set_status(DeviceStatus(DeviceState.HARDWARE_ERROR, code))

    def recover(self) -> None:
        self._set_status(DeviceStatus(DeviceState.ONLINE))

    def _record(self, entry: tuple[object, ...]) -> None:
        if not self.status.usable:
            return
        with self._record_lock:
            self.spoken.append(entry)
            del self.spoken[:-self.KEEP]

    def _say(self, text: str, lang: str, volume: int) -> None:
        self._record(("say", lang, text, volume))

    def _chime(self, kind: str, volume: int) -> None:
        self._record(("chime", kind, volume))

    def _stop(self) -> None:
        self._record(("stop",))


# --------------------------------------------------------------------------- chimes


@dataclass(frozen=True)
class Tone:
    hz: float
    seconds: float
    pause_after: float = 0.0


@dataclass(frozen=True)
class Chime:
    tones: tuple[Tone, ...]
    # Peak level at volume 100, of full scale: near the speech's loudness
    # ("reminder"), or well under it ("attention").
    level: float

    @property
    def seconds(self) -> float:
        return sum(t.seconds + t.pause_after for t in self.tones)

    @property
    def frames(self) -> int:
        return sum(_samples(t.seconds) + _samples(t.pause_after) for t in self.tones)


# Notes between 500 Hz and 1.6 kHz (with their octaves): heard through a hall's
# noise and by older ears, which lose the high ones first. A rising major triad
# (C5 E5 G5) sounds friendly, and three notes get noticed.
CHIMES: dict[str, Chime] = {
    "reminder": Chime((Tone(523.25, 0.18, 0.06), Tone(659.25, 0.18, 0.06),
                       Tone(783.99, 0.42)), level=0.5),
    "attention": Chime((Tone(659.25, 0.40),), level=0.25),
}


def _samples(seconds: float) -> int:
    return round(seconds * RATE)


def _tone(tone: Tone, level: float) -> array.array[int]:
    """A soft bell: the note and a quieter octave, a 10 ms rise, an exponential
    fall, and a 20 ms fade to silence so nothing clicks."""
    n = _samples(tone.seconds)
    rise, fade = _samples(0.010), _samples(0.020)
    out = array.array("h", bytes(2 * n))
    step = 2 * math.pi * tone.hz / RATE
    decay = 3.0 / n  # down to e^-3 (about 5 %) by the end
    for i in range(n):
        envelope = math.exp(-decay * i)
        if i < rise:
            envelope *= i / rise
        if i >= n - fade:
            envelope *= (n - i) / fade
        wave_ = math.sin(step * i) * 0.8 + math.sin(2 * step * i) * 0.2
        out[i] = round(32767 * level * envelope * wave_)
    return out


@lru_cache(maxsize=64)
def chime_wav(kind: str, volume: int) -> bytes:
    """The chime ``kind`` at ``volume`` (0-100) as a WAV file: 16-bit mono, ``RATE``."""
    chime = CHIMES[kind]
    level = chime.level * _clamp(volume) / 100
    samples = array.array("h")
    for tone in chime.tones:
        samples.extend(_tone(tone, level))
        samples.frombytes(bytes(2 * _samples(tone.pause_after)))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()
