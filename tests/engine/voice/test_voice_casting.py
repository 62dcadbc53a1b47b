"""Who sounds like what: deterministic voices, chosen voices win, distinct casts, delivery, labels."""
from __future__ import annotations

import pytest

from engine.errors import VoiceError
from engine.voice import ESPEAK_PRESETS, NEURAL_PRESETS, PRESETS, VoiceSpec, cast_voices, delivery_for, list_voices, voice_for
from engine.voice.asr import word_error_rate
from engine.voice.synth import line_key, speakable


def test_voice_for_is_deterministic_and_neural_by_default():
    assert voice_for("ALICE") == voice_for("alice") == voice_for("  Alice ")
    assert voice_for("ALICE").backend == "hibari"
    names = ["ALICE", "BOB", "MARA", "TOMAS", "THE KEEPER", "DR. VOSS", "NARRATOR", "ZED"]
    assert len({voice_for(n) for n in names}) >= 4  # names spread over the presets


def test_chosen_voice_wins_and_unknown_choice_lists_the_options():
    assert voice_for("ALICE", chosen="espeak-robot") == PRESETS["espeak-robot"]
    assert voice_for("ALICE", chosen="Neural-Deep") == PRESETS["neural-deep"]
    with pytest.raises(VoiceError, match="neural-bass"):
        voice_for("ALICE", chosen="godzilla")


def test_list_voices_offers_neural_first_then_espeak():
    voices = list_voices()
    assert voices[: len(NEURAL_PRESETS)] == list(NEURAL_PRESETS)
    assert "espeak-male" in voices and "neural-bass" in voices


def test_cast_voices_are_distinct_and_respect_choices():
    names = [f"CHARACTER {i}" for i in range(12)]
    cast = cast_voices(names, {"CHARACTER 3": "neural"})
    assert cast["CHARACTER 3"] == PRESETS["neural"]
    assert len(set(cast.values())) == 12  # more than the neural presets: eSpeak adds variety
    assert sum(v.backend == "hibari" for v in cast.values()) == len(NEURAL_PRESETS)
    assert cast == cast_voices(names, {"CHARACTER 3": "neural"})  # same input, same cast


def test_cast_voices_accepts_specs():
    spec = VoiceSpec("espeak", "en+m7", -3.0)
    assert cast_voices(["A"], {"A": spec}) == {"A": spec}


@pytest.mark.parametrize("paren,name", [
    ("(whispering)", "whisper"), ("(WHISPERS, to herself)", "whisper"), ("(shouting)", "shout"),
    ("(yelling over the wind)", "shout"), ("(softly)", "soft"), ("(beat)", "normal"), (None, "normal"),
    ("(sober)", "normal"), ("(sobbing)", "sad"), ("(angrily)", "shout"),
])
def test_parentheticals_shape_delivery(paren, name):
    d = delivery_for(paren)
    assert d.name == name
    if name == "whisper":
        assert d.whisper and d.gain < 1


def test_labels_describe_the_voice_for_credits():
    assert PRESETS["neural"].label() == "Neural voice"
    assert PRESETS["neural-low"].label().startswith("Neural voice, lower pitch")
    assert "bass" in PRESETS["neural-bass"].label()
    assert PRESETS["espeak-male"].label() == "eSpeak NG voice, American, male m3"
    assert PRESETS["espeak-robot"].label() == "eSpeak NG voice, American, klatt"
    assert len({spec.label() for spec in PRESETS.values()}) == len(PRESETS)  # credits tell them apart


def test_speakable_drops_markup_and_mentions():
    assert speakable("**Run!** @everyone, now_") == "Run! everyone, now"
    assert speakable("a\x00b\tc") == "a b c"
    assert len(speakable("Word. " * 500)) <= 1000


def test_line_key_changes_with_text_delivery_and_voice():
    base = line_key("Hello.", None, PRESETS["neural"])
    assert base == line_key("Hello.", None, PRESETS["neural"])
    assert base != line_key("Hello!", None, PRESETS["neural"])
    assert base != line_key("Hello.", "(whispering)", PRESETS["neural"])
    assert base != line_key("Hello.", None, PRESETS["neural-low"])


def test_word_error_rate():
    assert word_error_rate("the cat sat", "the cat sat") == 0.0
    assert word_error_rate("the cat sat", "the cat") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "a dog sat down") == pytest.approx(1.0)
    assert word_error_rate("", "") == 0.0
