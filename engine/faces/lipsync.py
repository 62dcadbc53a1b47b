"""Driving a face's mouth from a voice: an opening curve from the line's audio (a smoothed loudness
envelope, 0..1 per video frame) and the aligned landmarks moved to open the lips and drop the jaw that
much, so the swapped face speaks the new line instead of the actor's old one."""
from __future__ import annotations

import numpy as np

from engine.faces.align import mouth_opening

# inner-lip gap / face height at the loudest moment. Speech rarely opens wider: the addresses' speaker is
# at 0.06-0.08 nine frames in ten and 0.10-0.115 at most (0.13 made every stressed syllable a yawn)
MAX_OPENING = 0.09
LOWER = [56, 57, 58, 65, 66, 67]  # lower lip, outer and inner
CHIN = [5, 6, 7, 8, 9, 10, 11]
UPPER_INNER = [61, 62, 63]


def envelope(samples: np.ndarray, rate: int, fps: float, frames: int, attack_s: float = 0.02,
             release_s: float = 0.05, range_db: float = 20.0) -> np.ndarray:
    """Per video frame, 0..1: how open the mouth should be for this audio (RMS, gated, compressed, smoothed)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim > 1:
        x = x.mean(axis=1)
    hop = rate / fps
    rms = np.zeros(frames, np.float32)
    for i in range(frames):
        a, b = int(i * hop), int((i + 1) * hop)
        seg = x[a:b]
        rms[i] = float(np.sqrt(np.mean(seg * seg))) if len(seg) else 0.0
    if not rms.any():
        return rms
    db = 20 * np.log10(rms + 1e-6)
    top = np.percentile(db, 95)
    level = np.clip((db - (top - range_db)) / (range_db - 2), 0, 1) ** 1.5  # range_db below the peak: closed
    out = np.zeros_like(level)
    up, down = 1 - np.exp(-1 / (fps * attack_s)), 1 - np.exp(-1 / (fps * release_s))
    for i, v in enumerate(level):
        prev = out[i - 1] if i else 0.0
        out[i] = prev + (up if v > prev else down) * (v - prev)
    return out


def drive(landmarks: np.ndarray, openness: float) -> np.ndarray:
    """Aligned landmarks (68, 2) with the mouth set to ``openness`` (0 closed .. 1 wide) of MAX_OPENING."""
    lm = np.asarray(landmarks, np.float32).copy()
    height = float(np.linalg.norm(lm[8] - (lm[19] + lm[24]) / 2))
    # close the actor's own opening first, then open to the target
    now = mouth_opening(lm) * height
    lm[LOWER, 1] -= now
    lm[CHIN, 1] -= now * 0.5
    want = float(np.clip(openness, 0, 1)) * MAX_OPENING * height
    lm[LOWER, 1] += want
    lm[CHIN, 1] += want * 0.5
    lm[UPPER_INNER, 1] -= want * 0.05
    return lm
