"""Alert tones: a distinct WAV per priority, repeated through a player until cleared."""

from __future__ import annotations

import io
import sys
import tempfile
import time
import wave

import numpy as np

from alpr_edge.alerts import AlsaOutput, sound_device_present, tone_wav
from alpr_edge.alerts.tones import SAMPLE_RATE, tone_samples


def _dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[spectrum.argmax()])


def test_each_priority_has_its_own_valid_wav():
    wavs = [tone_wav(p) for p in range(1, 6)]
    assert len(set(wavs)) == 5
    for data in wavs:
        with wave.open(io.BytesIO(data)) as parsed:
            assert (parsed.getnchannels(), parsed.getsampwidth(), parsed.getframerate()) == (1, 2, SAMPLE_RATE)
            assert 0.2 < parsed.getnframes() / SAMPLE_RATE < 2.0
    assert abs(_dominant_hz(tone_samples(3)) - 880) < 10
    assert _dominant_hz(tone_samples(1)) > _dominant_hz(tone_samples(2)) > _dominant_hz(tone_samples(5))


def test_sound_device_detection(tmp_path):
    cards = tmp_path / "cards"
    assert not sound_device_present(cards)
    cards.write_text("--- no soundcards ---\n")
    assert not sound_device_present(cards)


def test_alsa_output_repeats_until_cleared_and_ignores_covert(tmp_path):
    log = tmp_path / "played.txt"
    # A stand-in for aplay that notes which file it was asked to play.
    player = (sys.executable, "-c", f"import sys; open({str(log)!r}, 'a').write(sys.argv[-1] + chr(10))")
    output = AlsaOutput(player=player, pause_s=0.05)
    output.alert(2, covert=True)
    time.sleep(0.2)
    assert output.plays == 0
    output.alert(2, covert=False)
    deadline = time.monotonic() + 10
    while len(log.read_text().splitlines() if log.exists() else []) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    output.clear()
    played = log.read_text().splitlines()
    assert len(played) >= 2 and all(p.endswith("priority-2.wav") for p in played)
    count = output.plays
    time.sleep(0.3)
    assert output.plays == count  # stopped
    output.close()


def test_alsa_output_removes_its_tone_folder_on_close(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    played = tmp_path / "played.txt"
    player = (sys.executable, "-c", f"import sys; open({str(played)!r}, 'a').write(sys.argv[-1] + chr(10))")
    output = AlsaOutput(player=player, pause_s=0.05)
    output.alert(1, covert=False)
    deadline = time.monotonic() + 10
    while not played.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob("alpr-tones-*"))
    output.close()
    assert not list(tmp_path.glob("alpr-tones-*"))
    output.alert(2, covert=False)  # a tone after close still plays (a fresh folder), and close removes it again
    output.close()
    assert not list(tmp_path.glob("alpr-tones-*"))
