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


# How far the spread of each LAB channel may be scaled. Lightness's spread is the scene's contrast. Colour's
# spread is mostly the person's own skin (an actor's stubble and darker lips against a pale cast member's):
# scaling it by the 1.5-2.8 the addresses ask for doubled every tint in the cast photo (a teal jacket's
# reflection on the chin, a sky's on the cheeks) into green and purple blotches.
SPREAD = ((0.5, 2.0), (0.8, 1.25), (0.8, 1.25))


def transfer(rgb: np.ndarray, own: np.ndarray, target: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``rgb`` with its LAB statistics ``own`` moved to ``target``: the means all the way, the spreads
    within ``SPREAD``."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    ratio = np.array([np.clip(t / o, lo, hi) for t, o, (lo, hi) in zip(target[1], own[1], SPREAD)], np.float32)
    moved = (lab - own[0]) * ratio + target[0]
    lab = lab + strength * (moved - lab)
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _masked_blur(channel: np.ndarray, mask: np.ndarray, sigma: float, scale: int = 4) -> np.ndarray:
    """Gaussian blur of ``channel`` over ``mask`` only (normalised, so the background does not bleed in).
    A broad blur loses nothing at a quarter of the size, and costs a sixteenth."""
    h, w = channel.shape[:2]
    small = (max(1, w // scale), max(1, h // scale))
    m = cv2.resize((mask > 0.5).astype(np.float32), small, interpolation=cv2.INTER_AREA)
    c = cv2.resize(channel.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    num = cv2.GaussianBlur(c * m, (0, 0), sigma / scale)
    den = cv2.GaussianBlur(m, (0, 0), sigma / scale)
    return cv2.resize(num / np.maximum(den, 1e-3), (w, h), interpolation=cv2.INTER_LINEAR)


def relight(face: np.ndarray, actor: np.ndarray, mask: np.ndarray, sigma_frac: float = 0.16,
            strength: float = 0.8) -> np.ndarray:
    """``face`` with its broad shading (lightness blurred over the face) replaced by the actor's: the cast
    member's photo may be lit from the side by a bright sky, the actor by a screen; the detail stays theirs.
    Only broad light moves over: finer shading (a nose's shadow) is the actor's face shape, i.e. identity."""
    sigma = max(2.0, sigma_frac * face.shape[0])
    lab_f = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_a = cv2.cvtColor(actor, cv2.COLOR_RGB2LAB).astype(np.float32)
    shift = _masked_blur(lab_a[..., 0], mask, sigma) - _masked_blur(lab_f[..., 0], mask, sigma)
    lab_f[..., 0] += strength * np.clip(shift, -60, 60)
    return cv2.cvtColor(np.clip(lab_f, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


class ColourMatch:
    """Per track: each frame's target statistics are an exponential average of the actor's; then the
    actor's broad shading is laid over the face (``relight``)."""

    def __init__(self, smoothing: float = 0.7, shading: bool = True) -> None:
        self.smoothing = smoothing
        self.shading = shading
        self.state: np.ndarray | None = None

    def __call__(self, face: np.ndarray, actor: np.ndarray, mask: np.ndarray) -> np.ndarray:
        target = lab_stats(actor, mask)
        self.state = target if self.state is None else self.smoothing * self.state + (1 - self.smoothing) * target
        out = transfer(face, lab_stats(face, mask), self.state)
        return relight(out, actor, mask) if self.shading else out
