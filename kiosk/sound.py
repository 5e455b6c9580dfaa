"""Short, distinct sounds for the three verdicts, without QtMultimedia.

The kiosk ships on ``pyside6-essentials``, which has no QtMultimedia (the full PySide6 adds 264 MB and needs
libpulse). So the kiosk writes three small WAV files into its data directory the first time (rendered here, no
assets to ship) and plays them with the first player the system has: ``paplay`` (PulseAudio / PipeWire), ``pw-play``
or ``aplay`` (ALSA), started as a detached process so the UI never waits. With none of them, it falls back to
``QApplication.beep()``: one plain beep, at least an audible cue.

- accepted: a rising two-note chime; already checked in: two medium beeps; refused: a low buzz.
"""

from __future__ import annotations

import logging
import math
import shutil
import struct
import subprocess
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from kiosk.checkin.wording import Tone

logger = logging.getLogger(__name__)

RATE = 22_050
PLAYERS: tuple[tuple[str, ...], ...] = (("paplay",), ("pw-play",), ("aplay", "-q"))


def _notes(tone: Tone) -> Sequence[tuple[float, float, str]]:
    """(frequency Hz, seconds, wave shape) per note; a frequency of 0 is silence."""
    if tone is Tone.GREEN:
        return ((880.0, 0.09, "sine"), (1318.5, 0.16, "sine"))
    if tone is Tone.AMBER:
        return ((660.0, 0.12, "sine"), (0.0, 0.07, "sine"), (660.0, 0.12, "sine"))
    return ((196.0, 0.45, "square"),)


def render_wav(tone: Tone, path: Path) -> Path:
    samples: list[int] = []
    for frequency, seconds, shape in _notes(tone):
        count = int(RATE * seconds)
        for i in range(count):
            if frequency == 0:
                samples.append(0)
                continue
            phase = math.sin(2 * math.pi * frequency * i / RATE)
            value = (1.0 if phase >= 0 else -1.0) * 0.35 if shape == "square" else phase * 0.6
            fade = min(1.0, i / (0.005 * RATE), (count - i) / (0.01 * RATE))  # no clicks at the edges
            samples.append(int(value * fade * 32767))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


class SoundPlayer(Protocol):
    def play(self, tone: Tone) -> None: ...


class SystemSoundPlayer:
    """Plays the verdict sounds with a system player, or beeps. ``spawn`` is injectable for tests."""

    def __init__(
        self,
        directory: Path,
        *,
        beep: Callable[[], None],
        which: Callable[[str], str | None] = shutil.which,
        spawn: Callable[[list[str]], object] | None = None,
    ) -> None:
        self._directory = directory
        self._beep = beep
        self._spawn = spawn or _spawn_detached
        self._player = next((list(cmd) for cmd in PLAYERS if which(cmd[0])), None)
        self._files: dict[Tone, Path] = {}
        self.enabled = True

    @property
    def player(self) -> str | None:
        return self._player[0] if self._player else None

    def play(self, tone: Tone) -> None:
        if not self.enabled:
            return
        if self._player is None:
            self._beep()
            return
        path = self._files.get(tone)
        if path is None:
            path = render_wav(tone, self._directory / f"{tone.value}.wav")
            self._files[tone] = path
        try:
            self._spawn([*self._player, str(path)])
        except OSError:
            logger.warning("could not start %s; beeping instead", self._player[0])
            self._player = None
            self._beep()


def _spawn_detached(command: list[str]) -> object:
    return subprocess.Popen(  # noqa: S603 (a fixed player and a file we wrote)
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


class SilentPlayer:
    """Records what would have played: for tests and for a kiosk with sounds turned off."""

    def __init__(self) -> None:
        self.played: list[Tone] = []

    def play(self, tone: Tone) -> None:
        self.played.append(tone)
