"""One-Euro filtering of landmark tracks (Casiez et al., CHI 2012): little smoothing when a face moves
fast (no lag), strong smoothing when it is still (no jitter). Run forward and backward and averaged,
since clips are processed offline, so the smoothing adds no lag either way.

How fast the face moves is read from the head as a whole (the similarity pose of its brows, eyes and nose),
and all its points share one cutoff per frame. Read point by point, as the filter was first written, the
predictor's own noise on a soft or turned face reads as speed and opens the filter just where a still head
needs it most; and a head the predictor reads steadily (a sharp face) is smoothed less, so the new face keeps
up with it. The lips and the chin keep a filter of their own, point by point: speech moves them while the
head stays still."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

RIGID = slice(17, 48)  # brows, nose and eyes: the head's pose, without the jaw and lips that speech moves
SPEECH = np.r_[4:13, 48:68]  # what speech moves: the lips, and the chin with the jaw's lower half


@dataclass(frozen=True)
class OneEuroConfig:
    # Hz: smoothing of a still head (lower = steadier), and how fast the cutoff rises with the head's speed (per
    # face height per second). Against 0.6 Hz with a cutoff per point (beta 8), 0.3 Hz and 2 for the whole head
    # took the swapped close-up's pixel flicker from 1.25x to 1.07x its source's, the group clip's from 1.22x to
    # 1.15x, the town halls' from 0.62x to 0.53x; mouth r fell by 0.01-0.03 on the addresses and the group clip.
    min_cutoff: float = 0.3
    beta: float = 2.0
    # ...but a head the predictor reads steadily (a sharp face: its points shake less than ``noisy`` face heights
    # a frame, median) is smoothed less, up to ``sharp_cutoff`` Hz, so the new face keeps up with it: at 0.3 Hz the
    # town halls' face was pasted 4.4 px (1.8% of its height) from where the predictor read the head, since
    # every small nod was smoothed away; now (0.8 Hz there) 2.9 px, and its mouth r rose from 0.91 to 0.93.
    # A soft face's readings wander slowly rather than shake, which this cannot see: at noisy=0.05 (2 Hz on the
    # town halls, 1.5 px off) the bench's soft copy of that address shook 1.09x its source, against 0.95x at
    # 0.3 Hz and 1.00x now (0.5 Hz there)
    noisy: float = 0.015
    sharp_cutoff: float = 2.0
    d_cutoff: float = 1.0  # Hz: smoothing of the speed estimate
    # Hz: the lips' and chin's own (None: as the rest of the face), per point with their own beta: speech moves
    # them faster than a head moves (the chin at the head's cutoff took the close-up's mouth r from 0.42 to
    # 0.31). With 0.6 for the head and 1.2 for the lips, swapped faces shook 0.99x / 0.88x their source on two
    # addresses (1.03x / 0.89x with 1.2 for all), lips as before. Filtered on the head instead (their place
    # with the head's pose taken out, put back on the smoothed head), 2.4 Hz took mouth r up by 0.02-0.09 on
    # the close-up, the group clip and the addresses, but the soft copy's lips shook more (1.07x-1.11x): not used
    mouth_min_cutoff: float | None = 1.2
    mouth_beta: float = 8.0


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
    head = replace(config, min_cutoff=still_cutoff(pts, scale, config))
    out = _both_ways(pts, lambda x: _follow(x, fps, head_speed(x, fps, scale, config.d_cutoff), head))
    if config.mouth_min_cutoff is not None and pts.shape[1] == 68:  # speech moves the lips faster than a head moves
        lips = replace(config, min_cutoff=config.mouth_min_cutoff, beta=config.mouth_beta)
        out[:, SPEECH] = _both_ways(pts[:, SPEECH], lambda x: one_euro(x, fps, scale, lips))
    return out


def still_cutoff(pts: np.ndarray, scale: float, config: OneEuroConfig) -> float:
    """The head's cutoff when still (Hz): ``min_cutoff`` for a reading as noisy as ``config.noisy`` or more,
    rising as the reading's noise falls (the median second difference of the brows, eyes and nose over the
    track, in face heights) up to ``sharp_cutoff``."""
    rigid = pts[:, RIGID] if pts.shape[1] == 68 else pts
    if len(rigid) < 8:  # too short to tell noise from motion
        return config.min_cutoff
    shake = float(np.median(_shake(rigid))) / max(scale, 1e-6)
    return float(np.clip(config.min_cutoff * config.noisy / max(shake, 1e-9), config.min_cutoff,
                         max(config.min_cutoff, config.sharp_cutoff)))


def head_speed(pts: np.ndarray, fps: float, scale: float, d_cutoff: float) -> np.ndarray:
    """(T,) how fast the head moves at each frame, in face heights per second: the speed of its similarity
    pose (where it is, its size, its roll) fitted to the brows, eyes and nose, smoothed at ``d_cutoff``."""
    rigid = pts[:, RIGID] if pts.shape[1] == 68 else pts
    ref = rigid[0] - rigid[0].mean(0)
    zr = ref[:, 0] + 1j * ref[:, 1]
    centres = rigid.mean(1)
    q = rigid - centres[:, None]
    z = (q[..., 0] + 1j * q[..., 1]) @ np.conj(zr) / max(float(np.vdot(zr, zr).real), 1e-6)
    z = np.where(np.abs(z) > 1e-6, z, 1.0)
    # size and roll weigh as much as a shift of half a face height (a point at the face's edge moves that much)
    pose = np.column_stack([centres / max(scale, 1e-6), 0.5 * np.log(np.abs(z)), 0.5 * np.angle(z)])
    velocity = np.diff(pose, axis=0, prepend=pose[:1]) * fps
    a = _alpha(d_cutoff, 1.0 / fps)
    speed, v = np.zeros(len(pts)), np.zeros(pose.shape[1])
    for t in range(len(pts)):
        v = a * velocity[t] + (1 - a) * v
        speed[t] = float(np.linalg.norm(v))
    return speed


def _follow(x: np.ndarray, fps: float, speed: np.ndarray, config: OneEuroConfig) -> np.ndarray:
    """One-Euro with one cutoff per frame for every point, from ``speed`` (``head_speed``)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    out[0] = x[0]
    dt = 1.0 / fps
    for t in range(1, len(x)):
        a = _alpha(config.min_cutoff + config.beta * float(speed[t]), dt)
        out[t] = a * x[t] + (1 - a) * out[t - 1]
    return out


def _both_ways(pts: np.ndarray, one_way) -> np.ndarray:
    """``one_way`` (a causal filter of a (T, ...) sequence) run forward and backward, averaged: no lag."""
    return ((one_way(pts) + one_way(pts[::-1])[::-1]) / 2).astype(np.float32)


def jitter(points: np.ndarray) -> float:
    """Mean frame-to-frame landmark motion with the smooth motion removed (second difference), in face
    heights: what a viewer sees as shaking."""
    pts = np.asarray(points, dtype=np.float32)
    if len(pts) < 3:
        return 0.0
    scale = float(np.median(pts[:, :, 1].max(1) - pts[:, :, 1].min(1))) or 1.0
    return float(_shake(pts).mean() / scale)


def _shake(pts: np.ndarray) -> np.ndarray:
    """(T-2,) each frame's mean second difference of its points, in pixels (its motion less the smooth part)."""
    return np.linalg.norm(pts[2:] - 2 * pts[1:-1] + pts[:-2], axis=-1).mean(1)
