"""Real audio from both backends: non-silent, plausible length, the requested pitch, intelligible."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import VoiceError
from engine.voice import PRESETS, VoiceSpec, synthesize
from engine.voice.asr import transcribe, word_error_rate
from engine.voice.backends import get_backend
from engine.voice.backends.optional import CoquiBackend, PiperBackend
from engine.voice.delivery import NORMAL

SENTENCE = "Give me the brass telescope and close the door behind you."


def _periodicity(audio: np.ndarray, sr: int, loud_share: float):
    """For each loud 40 ms frame: (best lag in 60..400 Hz, its autocorrelation / the frame's energy)."""
    frame, hop = int(0.04 * sr), int(0.01 * sr)
    lo, hi = sr // 400, sr // 60
    loud = loud_share * np.abs(audio).max()
    for a in range(0, audio.size - frame, hop):
        x = audio[a:a + frame]
        if np.abs(x).max() < loud:
            continue
        x = x - x.mean()
        ac = np.correlate(x, x, "full")[frame - 1:]
        lag = lo + int(np.argmax(ac[lo:hi]))
        yield lag, ac[lag] / ac[0]


def f0_median(audio: np.ndarray, sr: int) -> float:
    """Median pitch (Hz) of the loud frames, by autocorrelation (60..400 Hz)."""
    pitches = [sr / lag for lag, strength in _periodicity(audio, sr, 0.3) if strength > 0.4]
    return float(np.median(pitches)) if pitches else 0.0


def voicing(audio: np.ndarray, sr: int) -> float:
    """Share of audible frames with a clear pitch period (autocorrelation peak > 0.6)."""
    frames = [strength > 0.6 for _, strength in _periodicity(audio, sr, 0.1)]
    return sum(frames) / max(1, len(frames))


def _check_speech(audio: np.ndarray, sr: int, text: str) -> None:
    seconds = audio.size / sr
    assert audio.dtype == np.float32
    assert 0.2 * len(text.split()) < seconds < 1.0 * len(text.split()) + 1, seconds
    assert np.sqrt(np.mean(audio ** 2)) > 0.02  # not silence
    assert np.abs(audio).max() <= 1.0


def test_neural_voice_speaks_intelligibly():
    audio, sr = synthesize(SENTENCE, PRESETS["neural"])
    _check_speech(audio, sr, SENTENCE)
    assert word_error_rate(SENTENCE, transcribe(audio, sr)) <= 0.3


def test_half_pitch_voice_is_lower_and_still_intelligible():
    normal, sr = synthesize(SENTENCE, PRESETS["neural"])
    bass, sr2 = synthesize(SENTENCE, PRESETS["neural-bass"])
    assert sr == sr2
    f_normal, f_bass = f0_median(normal, sr), f0_median(bass, sr)
    assert 0.4 < f_bass / f_normal < 0.65, (f_normal, f_bass)  # about an octave down
    assert word_error_rate(SENTENCE, transcribe(bass, sr)) <= 0.3


def test_whispering_parenthetical_removes_pitch():
    voiced, sr = synthesize(SENTENCE, PRESETS["neural"])
    whisper, _ = synthesize(SENTENCE, PRESETS["neural"], "(whispering)")
    _check_speech(whisper, sr, SENTENCE)
    assert voicing(whisper, sr) < 0.5 * voicing(voiced, sr)  # breath, not a pitched voice
    assert word_error_rate(SENTENCE, transcribe(whisper, sr)) <= 0.4  # still understood
    assert np.abs(whisper).max() < np.abs(voiced).max()  # quieter


def test_espeak_backend_speaks_and_whispers():
    audio, sr = synthesize(SENTENCE, PRESETS["espeak-male"])
    _check_speech(audio, sr, SENTENCE)
    loud, _ = synthesize("Get out of my lighthouse!", PRESETS["espeak-male"], "(shouting)")
    soft, _ = synthesize("Get out of my lighthouse!", PRESETS["espeak-male"], "(whispering)")
    assert np.abs(soft).max() < np.abs(loud).max()


def test_espeak_pitch_follows_the_spec():
    low, sr = synthesize(SENTENCE, VoiceSpec("espeak", "en-us+m3", pitch_semitones=-6))
    high, _ = synthesize(SENTENCE, VoiceSpec("espeak", "en-us+m3", pitch_semitones=6))
    assert f0_median(low, sr) < f0_median(high, sr)


def test_hibari_refuses_voices_that_would_download():
    with pytest.raises(VoiceError, match="not bundled"):
        get_backend("hibari").synthesize("Hello.", VoiceSpec("hibari", "emma"), NORMAL)


def test_unknown_espeak_voice_is_a_clear_error():
    with pytest.raises(VoiceError, match="no voice"):
        synthesize("Hello.", VoiceSpec("espeak", "xx-nonexistent"))


def test_optional_backends_are_unavailable_without_a_local_model():
    assert PiperBackend().available() is False
    assert CoquiBackend().available() is False
    with pytest.raises(VoiceError, match="unknown voice backend"):
        get_backend("festival")


def test_unspeakable_line_is_a_short_beat():
    audio, sr = synthesize("...", PRESETS["neural"])
    assert 0.3 < audio.size / sr < 1.0
    assert not audio.any()


def test_espeak_with_missing_data_is_an_error_not_an_exit(tmp_path, monkeypatch):
    """libespeak-ng exit()s without its data; the backend checks first and raises instead."""
    import espeakng_loader

    from engine.voice.backends.espeak import EspeakBackend

    monkeypatch.setattr(espeakng_loader, "__file__", str(tmp_path / "__init__.py"))
    backend = EspeakBackend()
    assert backend.available() is False
    with pytest.raises(VoiceError, match="data is missing"):
        backend.synthesize("Hello.", PRESETS["espeak-male"], NORMAL)
