"""Voices: a neural voice (hibari-tts) by default, eSpeak NG as fallback and for variety.

    spec = voice_for("ALICE")                      # deterministic per name
    lines = voice_screenplay(screenplay, job / "voice", on_progress=cb)   # one WAV per line, cached
"""
from engine.voice.spec import (
    ESPEAK_PRESETS,
    NEURAL_PRESETS,
    PRESETS,
    VoiceSpec,
    cast_voices,
    list_voices,
    preset,
    voice_for,
)
from engine.voice.delivery import Delivery, delivery_for
from engine.voice.synth import VoiceConfig, VoicedLine, line_key, speakable, synthesize, voice_screenplay

__all__ = [
    "ESPEAK_PRESETS", "NEURAL_PRESETS", "PRESETS", "VoiceSpec", "cast_voices", "list_voices", "preset", "voice_for",
    "Delivery", "delivery_for", "VoiceConfig", "VoicedLine", "line_key", "speakable", "synthesize",
    "voice_screenplay",
]
