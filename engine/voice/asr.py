"""Intelligibility, measured: pocketsphinx (its wheel ships an English model, offline) transcribes a
voiced line, and word error rate compares the transcript with what was meant to be said."""
from __future__ import annotations

import re
import threading

import numpy as np

from engine.errors import VoiceError
from engine.voice.audio import resample

ASR_RATE = 16000
_decoder = None
_lock = threading.Lock()


def _get_decoder():
    global _decoder
    with _lock:
        if _decoder is None:
            try:
                from pocketsphinx import Decoder
            except ImportError as e:
                raise VoiceError("pocketsphinx is not installed; intelligibility cannot be measured") from e
            _decoder = Decoder(samprate=ASR_RATE, loglevel="FATAL")
        return _decoder


def transcribe(audio: np.ndarray, sr: int) -> str:
    """Lower-case words pocketsphinx hears in ``audio`` (mono float32)."""
    pcm = (np.clip(resample(audio, sr, ASR_RATE), -1, 1) * 32767).astype("<i2").tobytes()
    decoder = _get_decoder()
    with _lock:
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
    return hyp.hypstr.lower() if hyp else ""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
