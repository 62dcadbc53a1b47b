"""Optional backends: Piper and Coqui TTS, behind the same interface, used only where they really run.

Neither ships here. Each needs its library importable AND a local model file given in its config
(nothing is downloaded): e.g. ``register_backend("piper", PiperBackend(PiperConfig(model=path)))``.
Without both, ``available()`` is False and no preset offers them. Their pitch/tempo come from generic
post-processing (resample + overlap-add), since neither exposes F0 the way hibari does.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import VoiceError
from engine.voice.audio import resample, time_stretch
from engine.voice.backends._base import semitones_to_ratio
from engine.voice.delivery import Delivery
from engine.voice.spec import VoiceSpec

log = logging.getLogger(__name__)


def shift_pitch(audio: np.ndarray, sr: int, semitones: float, tempo: float) -> np.ndarray:
    """Generic pitch shift + tempo: resample (pitch and speed change together), then stretch back."""
    ratio = semitones_to_ratio(semitones)
    if abs(ratio - 1.0) > 1e-3:
        audio = resample(audio, int(round(sr * ratio)), sr)  # fewer samples: higher and faster
    return time_stretch(audio, tempo / ratio, sr)


class _LocalModelBackend:
    """What Piper and Coqui share: ``available()`` is "the local model loads", and delivery is post-processed."""

    name = "local"

    def _load(self):
        raise NotImplementedError

    def available(self) -> bool:
        try:
            self._load()
            return True
        except Exception as e:
            log.info("%s unavailable: %s", self.name, e)
            return False

    @staticmethod
    def _shaped(audio: np.ndarray, sr: int, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        return shift_pitch(audio, sr, spec.pitch_semitones + delivery.pitch_semitones, spec.tempo * delivery.tempo), sr


@dataclass(frozen=True)
class PiperConfig:
    model: Path | None = None  # a local Piper .onnx voice (with its .onnx.json beside it)


class PiperBackend(_LocalModelBackend):
    name = "piper"

    def __init__(self, config: PiperConfig = PiperConfig()) -> None:
        self.config = config
        self._voice = None

    def _load(self):
        if self._voice is None:
            if not self.config.model or not Path(self.config.model).is_file():
                raise VoiceError("Piper needs a local voice model (PiperConfig.model); none is configured")
            try:
                from piper import PiperVoice
            except ImportError as e:
                raise VoiceError("Piper is not installed (pip package piper-tts)") from e
            self._voice = PiperVoice.load(str(self.config.model))
        return self._voice

    def synthesize(self, text: str, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        voice = self._load()
        try:
            chunks = list(voice.synthesize(text))  # piper-tts >= 1.3: AudioChunk objects
            sr = chunks[0].sample_rate
            audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        except Exception as e:
            raise VoiceError(f"Piper failed on {text[:40]!r}: {e}") from e
        return self._shaped(audio, sr, spec, delivery)


@dataclass(frozen=True)
class CoquiConfig:
    model: Path | None = None  # a local Coqui checkpoint (model.pth)
    config: Path | None = None  # its config.json


class CoquiBackend(_LocalModelBackend):
    name = "coqui"

    def __init__(self, config: CoquiConfig = CoquiConfig()) -> None:
        self.config = config
        self._tts = None

    def _load(self):
        if self._tts is None:
            c = self.config
            if not (c.model and c.config and Path(c.model).is_file() and Path(c.config).is_file()):
                raise VoiceError("Coqui TTS needs a local model and config (CoquiConfig); none is configured")
            try:
                from TTS.api import TTS
            except Exception as e:  # not installed, or fails to import on this Python
                raise VoiceError(f"Coqui TTS cannot be imported here: {e}") from e
            self._tts = TTS(model_path=str(c.model), config_path=str(c.config))
        return self._tts

    def synthesize(self, text: str, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        tts = self._load()
        try:
            audio = np.asarray(tts.tts(text), np.float32)
            sr = int(tts.synthesizer.output_sample_rate)
        except Exception as e:
            raise VoiceError(f"Coqui TTS failed on {text[:40]!r}: {e}") from e
        return self._shaped(audio, sr, spec, delivery)
