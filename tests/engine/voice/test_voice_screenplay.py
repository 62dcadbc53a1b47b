"""voice_screenplay: one WAV per spoken line, durations, cache/resume, fallback when a backend fails."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import Cancelled, VoiceError
from engine.screenplay.document import Action, Dialogue, Scene, Screenplay
from engine.voice import PRESETS, VoiceSpec, voice_screenplay
from engine.voice.audio import read_wav
from engine.voice.backends import _LOADED, register_backend


def play(second_line: str = "Then why are you still here?") -> Screenplay:
    return Screenplay("The Last Lighthouse", scenes=[
        Scene("INT. LIGHTHOUSE - NIGHT", [
            Action("Waves hit the rocks."),
            Dialogue("MARA", "I was never meant to keep the light."),
            Dialogue("TOMAS", second_line, "(whispering)"),
        ]),
        Scene("EXT. CLIFF - DAWN", [Dialogue("MARA", "Because somebody has to.")]),
    ])


def test_one_wav_per_line_with_its_duration(tmp_path):
    events = []
    lines = voice_screenplay(play(), tmp_path, on_progress=events.append)
    assert [(x.index, x.scene, x.character) for x in lines] == [(0, 0, "MARA"), (1, 0, "TOMAS"), (2, 1, "MARA")]
    for line in lines:
        audio, sr = read_wav(line.wav)
        assert line.duration_s == pytest.approx(audio.size / sr)
        assert 0.5 < line.duration_s < 5
        assert np.abs(audio).max() > 0.1
    assert lines[0].voice == lines[2].voice != lines[1].voice  # same character, same voice; others differ
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(x.wav.name for x in lines)  # no .part left
    assert events[-1].fraction == 1.0 and events[-1].stage == "voice"


def test_chosen_voice_wins(tmp_path):
    lines = voice_screenplay(play(), tmp_path, voices={"Tomas": PRESETS["espeak-female"]})
    assert lines[1].voice == PRESETS["espeak-female"]
    assert lines[0].voice.backend == "hibari"


def test_cached_lines_are_not_voiced_again_and_changed_lines_are(tmp_path):
    first = voice_screenplay(play(), tmp_path)
    stamps = {x.wav: x.wav.stat().st_mtime_ns for x in first}
    again = voice_screenplay(play(), tmp_path)
    assert [x.wav for x in again] == [x.wav for x in first]
    assert {x.wav: x.wav.stat().st_mtime_ns for x in again} == stamps
    edited = voice_screenplay(play("Then go."), tmp_path)
    assert edited[1].wav != first[1].wav and edited[1].wav.is_file()
    assert not first[1].wav.exists()  # the stale take of that line is gone
    assert edited[0].wav == first[0].wav


def test_cancel_mid_way_keeps_finished_lines_for_resume(tmp_path):
    def stop_at_third(p):
        if p.message.startswith("line 3/"):
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        voice_screenplay(play(), tmp_path, on_progress=stop_at_third)
    assert len(list(tmp_path.glob("*.wav"))) == 2
    assert len(voice_screenplay(play(), tmp_path)) == 3


class _Broken:
    name = "hibari"

    def available(self):
        return False

    def synthesize(self, text, spec, delivery):
        raise VoiceError("model file is corrupt")


def test_falls_back_to_espeak_when_the_neural_voice_fails(tmp_path, monkeypatch):
    monkeypatch.setitem(_LOADED, "hibari", _Broken())
    lines = voice_screenplay(play(), tmp_path)
    assert all(x.voice.backend == "espeak" for x in lines)
    assert "eSpeak" in lines[0].voice.label()
    # the fallback is remembered with the cached WAV, so credits stay truthful on resume
    again = voice_screenplay(play(), tmp_path)
    assert [x.voice for x in again] == [x.voice for x in lines]


def test_fallback_voice_survives_a_kill_right_after_the_wav_lands(tmp_path, monkeypatch):
    """Killed between writing a fallback line's WAV and finishing: the resumed film credits the voice
    that really spoke (eSpeak), not the neural one that failed."""
    import engine.voice.synth as synth

    class Killed(BaseException):
        pass

    real_write = synth.write_wav

    def write_then_die(*args, **kwargs):
        real_write(*args, **kwargs)
        raise Killed()

    monkeypatch.setitem(_LOADED, "hibari", _Broken())
    monkeypatch.setattr(synth, "write_wav", write_then_die)
    with pytest.raises(Killed):
        voice_screenplay(play(), tmp_path)
    monkeypatch.setattr(synth, "write_wav", real_write)
    lines = voice_screenplay(play(), tmp_path)
    assert lines[0].voice.backend == "espeak"
    assert not list(tmp_path.glob("*.part"))


def test_a_half_written_wav_left_by_a_kill_is_cleared_on_resume(tmp_path):
    torn = tmp_path / "001_TOMAS_0123456789ab.wav.part"
    torn.write_bytes(b"RIFF")
    lines = voice_screenplay(play(), tmp_path)
    assert not torn.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(x.wav.name for x in lines)


def test_a_failing_fallback_is_a_clear_voice_error(tmp_path, monkeypatch):
    monkeypatch.setitem(_LOADED, "hibari", _Broken())
    broken_espeak = _Broken()
    broken_espeak.name = "espeak"
    monkeypatch.setitem(_LOADED, "espeak", broken_espeak)
    with pytest.raises(VoiceError, match="corrupt"):
        voice_screenplay(play(), tmp_path)


def test_registered_backend_plugs_in(tmp_path, monkeypatch):
    class Tone:
        name = "tone"

        def available(self):
            return True

        def synthesize(self, text, spec, delivery):
            t = np.arange(int(0.1 * len(text) * 16000)) / 16000
            return (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000

    monkeypatch.delitem(_LOADED, "tone", raising=False)
    register_backend("tone", Tone())
    try:
        lines = voice_screenplay(play(), tmp_path, voices={"MARA": VoiceSpec("tone", "a")})
    finally:
        _LOADED.pop("tone", None)
    assert lines[0].voice.backend == "tone"
    assert lines[0].duration_s == pytest.approx(0.1 * len("I was never meant to keep the light."), abs=0.05)
