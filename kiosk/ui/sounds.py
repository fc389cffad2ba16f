"""Short tones the counter plays: ``ok`` (one high beep), ``refused`` (two low beeps) and
``alert`` (a two-tone alarm, looped until the operator answers an allergen alert).

The WAV files are generated once into a cache folder; with no audio device the sounds are
silently skipped (the screen always says the same thing in words and colour)."""
from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path
from typing import Any

log = logging.getLogger("comptoir.ui")
RATE = 22050

# name: [(frequency Hz or 0 for silence, seconds), ...]
TONES = {
    "ok": [(1320, 0.12)],
    "refused": [(330, 0.18), (0, 0.08), (330, 0.18)],
    "alert": [(880, 0.22), (587, 0.22)] * 2 + [(0, 0.15)],
}


def _write_wav(path: Path, parts: list[tuple[int, float]]) -> None:
    frames = bytearray()
    for freq, seconds in parts:
        for i in range(int(RATE * seconds)):
            value = 0.45 * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


class Sounds:
    def __init__(self, enabled: bool = True, folder: Path | None = None):
        self.enabled = enabled
        self.folder = folder or Path(tempfile.gettempdir()) / "comptoir-sounds"
        self._sounds: dict = {}
        self.playing: set[str] = set()       # what the screen asked to hear (tests read it)

    def _load(self, name: str) -> Any:
        if name not in self._sounds:
            sound = None
            try:
                from kivy.core.audio import SoundLoader
                self.folder.mkdir(parents=True, exist_ok=True)
                path = self.folder / f"{name}.wav"
                if not path.exists():
                    _write_wav(path, TONES[name])
                sound = SoundLoader.load(str(path))
            except Exception as e:      # no audio: words and colours still say it all
                log.warning("sound %s unavailable: %s", name, e)
            self._sounds[name] = sound
        return self._sounds[name]

    def play(self, name: str, loop: bool = False) -> None:
        if not self.enabled:
            return
        self.playing.add(name)
        sound = self._load(name)
        if sound is not None:
            sound.loop = loop
            sound.stop()
            sound.play()

    def stop(self, name: str) -> None:
        self.playing.discard(name)
        sound = self._sounds.get(name)
        if sound is not None:
            sound.stop()
