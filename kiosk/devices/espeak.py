"""The speaker on espeak-ng and ALSA: speech rendered by ``espeak-ng``, played by ``aplay``.

espeak-ng (Debian: ``espeak-ng``) renders the text as a WAV stream, which
``aplay`` (Debian: ``alsa-utils``) plays on an ALSA device, the headphone
jack's. With an output directory instead, every utterance and chime is written
there as a numbered WAV file (tests, machines without a sound card).

The caller's thread only cuts off what sounds (a signal) and hands the work on;
the device's worker renders, starts the processes and waits for them, so the
next utterance starts when the signal has ended the last. The text goes to
espeak-ng on its standard input, never on its command line, where anyone on
the machine could read it (``ps``).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.devices.playback import Playback
from kiosk.devices.speaker import DEFAULT_VOLUME, RATE, Speaker, chime_wav
from kiosk.devices.status import DeviceState, DeviceStatus
from kiosk.i18n import LANGUAGES

log = logging.getLogger(__name__)

# The voices tried for each language, first one present wins (espeak-ng 1.51 in
# Debian 12 has all the first ones). Macau speaks Cantonese and uses European
# Portuguese; British English is the nearer of espeak-ng's English voices.
VOICES: dict[str, tuple[str, ...]] = {
    "zh-Hant": ("yue", "zh-yue"),
    "pt": ("pt", "pt-pt"),
    "en": ("en-gb", "en"),
}
# espeak-ng's amplitude: 0-200, 100 its default. Above 100 its limiter flattens
# the peaks of Cantonese and English (measured), so volume 100 is amplitude 100.
MAX_AMPLITUDE = 100
DEFAULT_RATE = 160  # words per minute; espeak-ng's own is 175
PROBE_TIMEOUT_S = 5.0
_NUMBERED = re.compile(r"(\d+)-(say|chime)-[\w-]+\.wav")


class EspeakSpeaker(Speaker):
    """espeak-ng → aplay on ``alsa_device``, or → numbered WAV files in ``out_dir``.

    ``open()`` (and ``refresh()``) check that espeak-ng runs, which voices it
    has and that the output takes sound; what is missing makes a hardware error
    whose ``detail`` names it ("espeak_missing", "aplay_missing",
    "no_audio_device", "output_dir_unwritable", "no_voices"). A speaker that is
    down sounds nothing and raises nothing; each request checks again, so one
    plugged in later works. Chimes need no espeak-ng and play without it.
    """

    def __init__(self, *, alsa_device: str = "default", out_dir: Path | None = None,
                 espeak: str = "espeak-ng", aplay: str = "aplay",
                 voices: Mapping[str, str] | None = None, rate: int = DEFAULT_RATE,
                 volume: int = DEFAULT_VOLUME, keep: int = 50, name: str = "speaker") -> None:
        super().__init__(name, DeviceStatus(DeviceState.STARTING), volume=volume)
        self.alsa_device = alsa_device
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.rate = rate
        # Files kept in out_dir: they hold what was said, which may be personal.
        self.keep = max(1, keep)
        self._espeak_command = espeak
        self._aplay_command = aplay
        self._wanted = {lang: ((voices[lang],) if voices and lang in voices else VOICES[lang])
                        for lang in LANGUAGES}
        self._espeak: str | None = None
        self._aplay: str | None = None
        self._voices: dict[str, str] = {}
        self._audio_ok = False
        self._probe_lock = threading.Lock()
        self._play_lock = threading.Lock()
        self._current: Playback | None = None
        self._last: Playback | None = None
        self._numbers = itertools.count(self._next_number())

    # ------------------------------------------------------------------ status

    def open(self) -> None:
        self.refresh()

    def refresh(self) -> DeviceStatus:
        """Check espeak-ng, its voices and the output, and report what is found."""
        with self._probe_lock:
            problems: list[str] = []
            output = self._probe_output()
            self._audio_ok = not output
            if output:
                problems.append(output)
            self._espeak = _which(self._espeak_command)
            voices: dict[str, str] = {}
            if self._espeak is None:
                problems.append("espeak_missing")
            else:
                for lang, names in self._wanted.items():
                    found = next((n for n in names if self._has_voice(n)), None)
                    if found is not None:
                        voices[lang] = found
                if not voices:
                    problems.append("no_voices")
            self._voices = voices
            missing = [lang for lang in LANGUAGES if lang not in voices]
            if problems:
                status = DeviceStatus(DeviceState.HARDWARE_ERROR, ", ".join(problems))
            else:
                status = DeviceStatus(DeviceState.ONLINE,
                                      f"no_voice: {', '.join(missing)}" if missing else "")
        self._set_status(status)
        return status

    def voices(self) -> dict[str, str]:
        return dict(self._voices)

    @property
    def playback(self) -> Playback | None:
        """The last utterance or chime asked for (diagnostics, tests)."""
        return self._last

    @property
    def speaking(self) -> bool:
        current = self._current
        return current is not None and not current.done.is_set()

    def _has_voice(self, voice: str) -> bool:
        assert self._espeak is not None
        try:
            return subprocess.run([self._espeak, "-v", voice, "--stdout", "."],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=PROBE_TIMEOUT_S).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def _probe_output(self) -> str:
        """"" when the output takes sound, else what is wrong."""
        if self.out_dir is not None:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            except OSError:
                return "output_dir_unwritable"
            return "" if os.access(self.out_dir, os.W_OK | os.X_OK) else "output_dir_unwritable"
        self._aplay = _which(self._aplay_command)
        if self._aplay is None:
            return "aplay_missing"
        # 10 ms of silence: opens the device as playing does, and is not heard.
        try:
            probe = subprocess.run(
                [self._aplay, "-q", "-D", self.alsa_device, "-t", "raw", "-f", "S16_LE",
                 "-r", str(RATE), "-c", "1", "-"],
                input=bytes(2 * RATE // 100), stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("speaker %s: ALSA device %s did not open in %g s", self.name,
                        self.alsa_device, PROBE_TIMEOUT_S)
            return "audio_device_busy"
        except OSError:
            return "aplay_missing"
        if probe.returncode != 0:
            log.warning("speaker %s: ALSA device %s: %s", self.name, self.alsa_device,
                        _last_line(probe.stderr))
            return "no_audio_device"
        return ""

    # ------------------------------------------------------------------ requests

    def _say(self, text: str, lang: str, volume: int) -> None:
        playback = self._begin("say", lang, volume)
        if not text.strip():
            playback.finish("skipped")
            return
        self._hand_on(self._run_say, playback, text)

    def _chime(self, kind: str, volume: int) -> None:
        self._hand_on(self._run_chime, self._begin("chime", kind, volume))

    def _stop(self) -> None:
        with self._play_lock:
            current, self._current = self._current, None
        if current is not None:
            current.cancel()

    def close(self) -> None:
        self._stop()
        super().close()

    def _begin(self, what: str, detail: str, volume: int) -> Playback:
        playback = Playback(next(self._numbers), what, detail, volume)
        with self._play_lock:
            previous, self._current = self._current, playback
            self._last = playback
        if previous is not None:
            previous.cancel()
        return playback

    def _hand_on(self, run: Callable[..., None], playback: Playback, *args: Any) -> None:
        def guarded() -> None:
            try:
                run(playback, *args)
            except Exception:  # never the text: it is not in what is raised here
                log.exception("speaker %s: %s %d failed", self.name, playback.what,
                              playback.number)
                playback.finish("failed")

        try:
            self.submit(guarded)
        except RuntimeError:  # closed
            playback.finish("skipped")

    # ------------------------------------------------------------------ on the worker

    def _ready(self, playback: Playback, lang: str | None = None) -> bool:
        if playback.cancelled:
            playback.finish("skipped")
            return False
        if not self.status.usable:
            self.refresh()  # not checked yet, or something was missing: it may be there now
        if not self._audio_ok or (lang is not None and self._espeak is None):
            playback.finish("skipped")
            return False
        if lang is not None and lang not in self._voices:
            log.warning("speaker %s: no voice for %s", self.name, lang)
            playback.finish("skipped")
            return False
        return True

    def _run_say(self, playback: Playback, text: str) -> None:
        lang = playback.detail
        if not self._ready(playback, lang):
            return
        assert self._espeak is not None
        amplitude = round(playback.volume * MAX_AMPLITUDE / 100)
        command = [self._espeak, "-v", self._voices[lang], "-a", str(amplitude),
                   "-s", str(self.rate), "-b", "1", "--stdin"]
        data = text.encode("utf-8", "replace")
        if self.out_dir is not None:
            path, part = self._paths(playback)
            espeak = self._start(playback, [*command, "-w", str(part)], stdin=subprocess.PIPE)
            if espeak is None:
                return
            _, err = espeak.communicate(data)
            self._end(playback, [(espeak, err, "espeak_failed")], part, path)
            return
        espeak = self._start(playback, [*command, "--stdout"], last=False,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if espeak is None:
            return
        assert espeak.stdin is not None and espeak.stdout is not None
        aplay = self._start(playback, self._aplay_command_line(), stdin=espeak.stdout)
        espeak.stdout.close()  # aplay holds it now; espeak sees it close if aplay ends
        if aplay is None:
            espeak.terminate()
        try:
            espeak.stdin.write(data)
            espeak.stdin.close()
        except OSError:  # cut off (or espeak died): reaped and judged below
            pass
        _, aplay_err = aplay.communicate() if aplay is not None else (None, b"")
        espeak.wait()
        assert espeak.stderr is not None
        with espeak.stderr:
            espeak_err = espeak.stderr.read()
        if aplay is None:  # cut off, or aplay is gone: _start said which
            return
        self._end(playback, [(aplay, aplay_err, "no_audio_device"),
                             (espeak, espeak_err, "espeak_failed")])

    def _run_chime(self, playback: Playback) -> None:
        if not self._ready(playback):
            return
        data = chime_wav(playback.detail, playback.volume)
        if self.out_dir is not None:
            path, part = self._paths(playback)
            part.write_bytes(data)
            self._end(playback, [], part, path)
            return
        aplay = self._start(playback, self._aplay_command_line(), stdin=subprocess.PIPE)
        if aplay is None:
            return
        _, err = aplay.communicate(data)
        self._end(playback, [(aplay, err, "no_audio_device")])

    def _aplay_command_line(self) -> list[str]:
        assert self._aplay is not None
        return [self._aplay, "-q", "-D", self.alsa_device, "-"]

    def _start(self, playback: Playback, command: list[str], *, last: bool = True,
               **streams: Any) -> subprocess.Popen[bytes] | None:
        """Start one process of ``playback``; None when it was cut off or the
        program is gone (then the status says so)."""
        try:
            process = subprocess.Popen(command, stderr=subprocess.PIPE,
                                       **{"stdout": subprocess.DEVNULL, **streams})
        except OSError:
            log.warning("speaker %s: cannot start %s", self.name, Path(command[0]).name)
            self.refresh()
            playback.finish("failed")
            return None
        if not playback.attach(process, last=last):
            process.communicate()
            playback.finish("interrupted" if playback.started_at is not None else "skipped")
            return None
        return process

    def _end(self, playback: Playback, processes: list[tuple[subprocess.Popen[bytes], bytes, str]],
             part: Path | None = None, path: Path | None = None) -> None:
        if playback.cancelled:
            if part is not None:
                part.unlink(missing_ok=True)
            playback.finish("interrupted")
            return
        for process, err, problem in processes:
            if process.returncode != 0:
                log.warning("speaker %s: %s ended with %s: %s", self.name,
                            Path(str(process.args[0])).name, process.returncode,
                            _last_line(err))
                if part is not None:
                    part.unlink(missing_ok=True)
                self._set_status(DeviceStatus(DeviceState.HARDWARE_ERROR, problem))
                playback.finish("failed")
                return
        if part is not None and path is not None:
            part.replace(path)  # a file is whole or absent
            playback.path = path
            self._prune()
            playback.finish("written")
        else:
            playback.finish("played")

    # ------------------------------------------------------------------ output directory

    def _paths(self, playback: Playback) -> tuple[Path, Path]:
        assert self.out_dir is not None
        path = self.out_dir / f"{playback.number:06d}-{playback.what}-{playback.detail}.wav"
        return path, path.with_name(path.name + ".part")

    def _numbered(self) -> list[tuple[int, Path]]:
        if self.out_dir is None or not self.out_dir.is_dir():
            return []
        found = ((_NUMBERED.fullmatch(p.name), p) for p in self.out_dir.iterdir())
        return sorted((int(m.group(1)), p) for m, p in found if m)

    def _next_number(self) -> int:
        numbered = self._numbered()
        return numbered[-1][0] + 1 if numbered else 1

    def _prune(self) -> None:
        for _, old in self._numbered()[:-self.keep or None]:
            old.unlink(missing_ok=True)


def _which(command: str) -> str | None:
    """The program ``command`` names (a path, or a name on PATH), if it runs."""
    if os.sep in command:
        return command if os.path.isfile(command) and os.access(command, os.X_OK) else None
    return shutil.which(command)


def _last_line(err: bytes | None) -> str:
    lines = (err or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else ""
