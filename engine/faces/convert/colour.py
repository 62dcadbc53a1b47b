"""Colour matching in LAB: the generated face takes the actor's lighting (mean and spread per channel,
measured inside the face mask), smoothed over time so the colour does not pump from frame to frame."""
from __future__ import annotations

import cv2
import numpy as np


def lab_stats(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(2, 3) mean and std of the LAB channels where ``mask`` > 0.5."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    sel = lab[mask.reshape(-1) > 0.5]
    if len(sel) < 16:
        sel = lab
    return np.stack([sel.mean(0), sel.std(0) + 1e-3])


def transfer(rgb: np.ndarray, own: np.ndarray, target: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``rgb`` with its LAB statistics ``own`` moved to ``target`` (std ratio clamped to stay natural)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    ratio = np.clip(target[1] / own[1], 0.5, 2.0)
    moved = (lab - own[0]) * ratio + target[0]
    lab = lab + strength * (moved - lab)
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


class ColourMatch:
    """Per track: each frame's target statistics are an exponential average of the actor's."""

    def __init__(self, smoothing: float = 0.7) -> None:
        self.smoothing = smoothing
        self.state: np.ndarray | None = None

    def __call__(self, face: np.ndarray, actor: np.ndarray, mask: np.ndarray) -> np.ndarray:
        target = lab_stats(actor, mask)
        self.state = target if self.state is None else self.smoothing * self.state + (1 - self.smoothing) * target
        return transfer(face, lab_stats(face, mask), self.state)
