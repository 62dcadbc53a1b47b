"""The default neural voice: hibari-tts (Apache-2.0, ONNX, distilled from Kokoro-82M), offline.

Only the voice bundled in the wheel ("heart") is used; hibari's other voices download on first use
and are refused here. hibari's network predicts a source-filter spectrum per 12.5 ms frame (F0 plus
harmonic, noise and residual envelopes), so character voices are made *inside* the vocoder: F0 is
scaled for pitch, the envelopes are warped along frequency for formants, and the duration model's
``speed`` sets the tempo. That keeps even half-pitch voices clean (no resampling artefacts).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from engine.errors import VoiceError
from engine.voice.backends._base import semitones_to_ratio
from engine.voice.delivery import Delivery
from engine.voice.spec import VoiceSpec

log = logging.getLogger(__name__)

BUNDLED_VOICE = "heart"


@dataclass(frozen=True)
class HibariConfig:
    threads: int = 1  # onnxruntime threads; one core already runs ~50-100x real time
    seed: int = 1234  # fixes the noise component, so a line always renders the same
    whisper_breath: float = 1.2  # log-gain of the harmonic envelope copied into the noise when whispering
    peak: float = 0.9  # output peak level for normal delivery


class HibariBackend:
    name = "hibari"

    def __init__(self, config: HibariConfig = HibariConfig()) -> None:
        self.config = config
        self._tts = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            self._engine()
            return True
        except VoiceError as e:
            log.warning("neural voice unavailable: %s", e)
            return False

    def _engine(self):
        with self._lock:
            if self._tts is None:
                try:
                    from hibari import Hibari
                    from hibari.voices import voice_path

                    path = voice_path(BUNDLED_VOICE, download_missing=False)  # bundled: never downloads
                    self._tts = Hibari(voice=BUNDLED_VOICE, model=path, threads=self.config.threads)
                except Exception as e:  # ImportError, onnxruntime errors, missing asset
                    raise VoiceError(f"the neural voice (hibari-tts) could not load: {e}") from e
            return self._tts

    def synthesize(self, text: str, spec: VoiceSpec, delivery: Delivery) -> tuple[np.ndarray, int]:
        if spec.voice != BUNDLED_VOICE:
            raise VoiceError(f"hibari voice {spec.voice!r} is not bundled (it would download); use {BUNDLED_VOICE!r}")
        tts = self._engine()
        from hibari import SAMPLE_RATE, dsp

        pitch = semitones_to_ratio(spec.pitch_semitones + delivery.pitch_semitones)
        speed = float(np.clip(spec.tempo * delivery.tempo, 0.5, 2.0))
        rng = np.random.default_rng(self.config.seed)
        parts = []
        try:
            for phonemes in tts.phonemize(text):
                ids = tts.ids(phonemes)
                if len(ids) < 3:
                    continue
                out = tts.sess.run(None, {"ids": np.asarray([ids], np.int64),
                                          "speed": np.asarray([speed], np.float32)})
                lh, th, ln, lr, phi, f0 = (o[0] for o in out)
                lh, th, ln, lr, phi = warp_formants((lh, th, ln, lr, phi), spec.formant)
                f0 = np.where(f0 > 40.0, f0 * pitch, f0).astype(np.float32)
                if delivery.whisper:
                    ln = np.logaddexp(ln, lh + self.config.whisper_breath).astype(np.float32)
                    f0 = np.zeros_like(f0)
                parts.append(dsp.synth(lh, th, ln, lr, phi, f0, rng))
                parts.append(np.zeros(int(0.12 * SAMPLE_RATE), np.float32))  # breath between sentences
        except VoiceError:
            raise
        except Exception as e:
            raise VoiceError(f"the neural voice failed on {text[:40]!r}: {e}") from e
        if not parts:
            raise VoiceError(f"nothing to say in {text[:40]!r}")
        return np.concatenate(parts[:-1]), SAMPLE_RATE


def warp_formants(envelopes: tuple[np.ndarray, ...], factor: float) -> tuple[np.ndarray, ...]:
    """Scale spectral envelopes ([bins, frames]) along frequency: factor < 1 moves formants down."""
    if abs(factor - 1.0) < 1e-3:
        return envelopes
    bins = envelopes[0].shape[0]
    src = np.clip(np.arange(bins, dtype=np.float32) / factor, 0, bins - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, bins - 1)
    w = (src - i0)[:, None].astype(np.float32)
    out = []
    for k, env in enumerate(envelopes):
        if k in (1, 4):  # phase-like arrays (theta, phi): nearest bin, no blending of angles
            out.append(np.ascontiguousarray(env[np.rint(src).astype(np.int64)]))
        else:
            out.append(np.ascontiguousarray(env[i0] * (1 - w) + env[i1] * w, dtype=np.float32))
    return tuple(out)
