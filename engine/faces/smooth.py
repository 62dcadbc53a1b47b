"""One-Euro filtering of landmark tracks (Casiez et al., CHI 2012): little smoothing when a face moves
fast (no lag), strong smoothing when it is still (no jitter). Run forward and backward and averaged,
since clips are processed offline, so the smoothing adds no lag either way."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from engine.faces.align import MOUTH


@dataclass(frozen=True)
class OneEuroConfig:
    min_cutoff: float = 0.6  # Hz: smoothing of a still face (lower = smoother)
    beta: float = 8.0  # how fast the cutoff rises with speed (in face heights per second)
    d_cutoff: float = 1.0  # Hz: smoothing of the speed estimate
    # Hz: the lips' own (None: as the rest of the face). With 0.6 for the head and 1.2 for the lips, swapped
    # faces shook 0.99x / 0.88x their source on two addresses (1.03x / 0.89x with 1.2 for all), lips as before
    mouth_min_cutoff: float | None = 1.2


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


def one_euro(x: np.ndarray, fps: float, scale: float, config: OneEuroConfig = OneEuroConfig()) -> np.ndarray:
    """Filter a (T, ...) sequence sampled at ``fps``; ``scale`` normalises speed (e.g. face height)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2:
        return x.astype(np.float32)
    dt = 1.0 / fps
    out = np.empty_like(x)
    out[0] = x[0]
    dx_prev = np.zeros_like(x[0])
    a_d = _alpha(config.d_cutoff, dt)
    for t in range(1, len(x)):
        dx = (x[t] - out[t - 1]) / dt / max(scale, 1e-6)
        dx_hat = a_d * dx + (1 - a_d) * dx_prev
        cutoff = config.min_cutoff + config.beta * np.abs(dx_hat)
        tau = 1.0 / (2 * np.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        out[t] = a * x[t] + (1 - a) * out[t - 1]
        dx_prev = dx_hat
    return out.astype(np.float32)


def smooth_track(points: np.ndarray, fps: float, config: OneEuroConfig = OneEuroConfig()) -> np.ndarray:
    """(T, 68, 2) landmarks smoothed forward and backward (zero lag), speed in face heights per second."""
    pts = np.asarray(points, dtype=np.float32)
    if len(pts) < 3:
        return pts.copy()
    scale = float(np.median(pts[:, :, 1].max(1) - pts[:, :, 1].min(1)))
    out = _both_ways(pts, fps, scale, config)
    if config.mouth_min_cutoff is not None and pts.shape[1] == 68:  # speech moves the lips faster than a head moves
        lips = replace(config, min_cutoff=config.mouth_min_cutoff)
        out[:, MOUTH] = _both_ways(pts[:, MOUTH], fps, scale, lips)
    return out


def _both_ways(pts: np.ndarray, fps: float, scale: float, config: OneEuroConfig) -> np.ndarray:
    fwd = one_euro(pts, fps, scale, config)
    bwd = one_euro(pts[::-1], fps, scale, config)[::-1]
    return ((fwd + bwd) / 2).astype(np.float32)


def jitter(points: np.ndarray) -> float:
    """Mean frame-to-frame landmark motion with the smooth motion removed (second difference), in face
    heights: what a viewer sees as shaking."""
    pts = np.asarray(points, dtype=np.float32)
    if len(pts) < 3:
        return 0.0
    scale = float(np.median(pts[:, :, 1].max(1) - pts[:, :, 1].min(1))) or 1.0
    acc = pts[2:] - 2 * pts[1:-1] + pts[:-2]
    return float(np.linalg.norm(acc, axis=-1).mean() / scale)
