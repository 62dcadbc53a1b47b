"""The voice backend interface: every TTS engine plugs in with the same two methods.

A backend turns text into mono float32 audio for a VoiceSpec, applying the spec's pitch/formant/tempo
and the line's Delivery as well as it can. ``available()`` says whether it really runs here (library
importable, model files on disk); unavailable backends are never offered or used.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from engine.voice.delivery import Delivery
from engine.voice.spec import VoiceSpec


class VoiceBackend(Protocol):
    name: str

    def available(self) -> bool:
        """True when this backend can synthesise here, offline."""

    def synthesize(self, text: str, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        """(mono float32 audio in -1..1, sample rate). Raises VoiceError with a clear reason."""


def semitones_to_ratio(semitones: float) -> float:
    return float(2.0 ** (semitones / 12.0))
