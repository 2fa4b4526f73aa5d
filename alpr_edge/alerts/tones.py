"""Alert sounds: a distinct tone per priority, as WAV, played through ALSA.

The same WAV bytes serve the touchscreen page (the browser plays them) and
the car's speaker (`AlsaOutput` runs ``aplay`` until the alert is
acknowledged), so the officer hears the same sound for the same urgency
everywhere. Generated here rather than shipped: small, and reviewable.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

import numpy as np

from alpr_edge.logs import log

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# priority -> (frequencies played in turn, beep seconds, gap seconds, beeps).
# Priority 1 (Amber alert, missing person, felony) is a fast two-tone warble;
# lower priorities are lower, slower and fewer beeps.
TONE_PATTERNS = {
    1: ((1400.0, 1000.0), 0.12, 0.03, 8),
    2: ((1200.0,), 0.20, 0.10, 3),
    3: ((880.0,), 0.30, 0.30, 2),
    4: ((660.0,), 0.40, 0.00, 1),
    5: ((520.0,), 0.30, 0.00, 1),
}


def tone_samples(priority: int) -> np.ndarray:
    """The tone of one priority as 16-bit mono samples."""
    frequencies, beep_s, gap_s, beeps = TONE_PATTERNS[min(max(priority, 1), 5)]
    t = np.arange(int(SAMPLE_RATE * beep_s)) / SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.005)  # 5 ms ramps: no clicks
    gap = np.zeros(int(SAMPLE_RATE * gap_s))
    parts = []
    for index in range(beeps):
        frequency = frequencies[index % len(frequencies)]
        parts += [np.sin(2 * np.pi * frequency * t) * fade, gap]
    return (np.concatenate(parts) * 0.6 * 32767).astype(np.int16)


def tone_wav(priority: int) -> bytes:
    """The tone of one priority as a WAV file's bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(tone_samples(priority).tobytes())
    return buffer.getvalue()


def sound_device_present(cards: Path = Path("/proc/asound/cards")) -> bool:
    """True when ALSA lists a sound card and ``aplay`` is installed."""
    try:
        text = cards.read_text()
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text and shutil.which("aplay") is not None


class AlsaOutput:
    """Plays the priority's tone through ALSA, again and again, until cleared."""

    def __init__(self, device: str = "default", player: tuple[str, ...] = ("aplay", "-q"), pause_s: float = 1.0):
        self._device = device
        self._player = tuple(player)
        self._pause_s = pause_s
        self._folder: Path | None = None  # made when a tone first plays, removed on close
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._priority: int | None = None
        self.plays = 0  # how many times a tone was started (for tests and status)

    def _wav(self, priority: int) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="alpr-tones-"))
        path = self._folder / f"priority-{priority}.wav"
        if not path.exists():
            path.write_bytes(tone_wav(priority))
        return path

    def alert(self, priority: int, covert: bool) -> None:
        if covert or priority == self._priority:
            return
        self.clear()
        self._priority = priority
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._repeat, args=(self._wav(priority), self._stop), daemon=True, name="alert-tone")
        self._thread.start()

    def _repeat(self, wav: Path, stop: threading.Event) -> None:
        while True:
            with self._lock:  # clear() either sees this process or stops the loop first
                if stop.is_set():
                    return
                try:
                    process = self._process = subprocess.Popen(
                        [*self._player, "-D", self._device, str(wav)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                except OSError as error:
                    log(logger, logging.ERROR, "alert_tone_failed", error=str(error))
                    return
                self.plays += 1
            process.wait()
            if stop.wait(self._pause_s):
                return

    def clear(self) -> None:
        with self._lock:
            self._priority = None
            self._stop.set()
            process = self._process
            if process is not None and process.poll() is None:
                process.terminate()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def close(self) -> None:
        self.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
