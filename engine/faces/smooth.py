"""One-Euro filtering of landmark tracks (Casiez et al., CHI 2012): little smoothing when a face moves
fast (no lag), strong smoothing when it is still (no jitter). Run forward and backward and averaged,
since clips are processed offline, so the smoothing adds no lag either way.

How fast the face moves is read from the head as a whole (the similarity pose of its brows, eyes and nose),
and all its points share one cutoff per frame. Read point by point, as the filter was first written, the
predictor's own noise on a soft or turned face reads as speed and opens the filter just where a still head
needs it most. The lips and the chin keep a filter of their own, point by point: speech moves them while the
head stays still. It runs on where they are on the head (their place with the head's pose taken out), and
they are put back on the smoothed head: so they move with the face as one piece, and a nod is not read as
speech (nor smoothed as if it were)."""
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
    # every small nod was smoothed away; at 2 Hz, 1.5 px, and its mouth r rose from 0.91 to 0.94
    noisy: float = 0.05
    sharp_cutoff: float = 2.0
    d_cutoff: float = 1.0  # Hz: smoothing of the speed estimate
    # Hz: the lips' and chin's own (None: as the rest of the face), per point with their own beta, on the head
    # (see the module doc): speech moves them faster than a head moves (the chin at the head's cutoff took the
    # close-up's mouth r from 0.42 to 0.31). Against 1.2 Hz on the picture, 2.4 Hz on the head took the
    # close-up's mouth r from 0.42 to 0.51 (0.40 to 0.47 for the cast member in glasses), the group clip's from
    # 0.87 to 0.89, the addresses' from 0.91 / 0.93 to 0.91 / 0.95; flicker fell a little on all of them. At
    # 1.2 Hz on the head the town halls' fell to 0.84: a nod had opened the lips' filter before, speech alone
    # opens it less.
    mouth_min_cutoff: float | None = 2.4
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
        on_head = _onto_head(pts[:, SPEECH], *_pose(pts))
        out[:, SPEECH] = _off_head(_both_ways(on_head, lambda x: one_euro(x, fps, scale, lips)), *_pose(out))
    return out


def lips_in_picture(points: np.ndarray, fps: float, config: OneEuroConfig = OneEuroConfig()) -> np.ndarray:
    """(T, 20, 2) the lips (points 48-67) smoothed point by point where the picture shows them, not carried by
    the smoothed head as ``smooth_track``'s are: where to read the actor's own mouth opening in the frame (read
    at the head's lips, the town halls' pause at frame 70 showed a dark line under the lips as an opening)."""
    pts = np.asarray(points, dtype=np.float32)[:, 48:68]
    if len(pts) < 3 or config.mouth_min_cutoff is None:
        return pts.copy()
    scale = float(np.median(np.asarray(points)[:, :, 1].max(1) - np.asarray(points)[:, :, 1].min(1)))
    lips = replace(config, min_cutoff=config.mouth_min_cutoff, beta=config.mouth_beta)
    return _both_ways(pts, lambda x: one_euro(x, fps, scale, lips))


def still_cutoff(pts: np.ndarray, scale: float, config: OneEuroConfig) -> float:
    """The head's cutoff when still (Hz): ``min_cutoff`` for a reading as noisy as ``config.noisy`` or more,
    rising as the reading's noise falls (the median second difference of the brows, eyes and nose over the
    track, in face heights) up to ``sharp_cutoff``."""
    rigid = pts[:, RIGID] if pts.shape[1] == 68 else pts
    if len(rigid) < 8:  # too short to tell noise from motion
        return config.min_cutoff
    shake = float(np.median(np.linalg.norm(rigid[2:] - 2 * rigid[1:-1] + rigid[:-2], axis=-1).mean(1))) / max(scale, 1e-6)
    return float(np.clip(config.min_cutoff * config.noisy / max(shake, 1e-9), config.min_cutoff,
                         max(config.min_cutoff, config.sharp_cutoff)))


def _pose(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The head's similarity pose in each frame, fitted to the brows, eyes and nose (all points when not 68),
    against the first frame's: (T,) centres and (T,) size-and-roll, as complex numbers."""
    rigid = np.asarray(pts[:, RIGID] if pts.shape[1] == 68 else pts, np.float64)
    ref = rigid[0] - rigid[0].mean(0)
    zr = ref[:, 0] + 1j * ref[:, 1]
    centres = rigid.mean(1)
    q = rigid - centres[:, None]
    z = (q[..., 0] + 1j * q[..., 1]) @ np.conj(zr) / max(float(np.vdot(zr, zr).real), 1e-6)
    return centres[:, 0] + 1j * centres[:, 1], np.where(np.abs(z) > 1e-6, z, 1.0)


def _onto_head(pts: np.ndarray, centres: np.ndarray, z: np.ndarray) -> np.ndarray:
    """(T, N, 2) points in the head's own frame (the pose ``_pose`` gave taken out), in first-frame pixels."""
    w = (pts[..., 0] + 1j * pts[..., 1] - centres[:, None]) / z[:, None]
    return np.stack([w.real, w.imag], -1)


def _off_head(pts: np.ndarray, centres: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The inverse of ``_onto_head``: points on the head put back into the picture at this pose."""
    w = centres[:, None] + z[:, None] * (pts[..., 0] + 1j * pts[..., 1])
    return np.stack([w.real, w.imag], -1).astype(np.float32)


def head_speed(pts: np.ndarray, fps: float, scale: float, d_cutoff: float) -> np.ndarray:
    """(T,) how fast the head moves at each frame, in face heights per second: the speed of its similarity
    pose (where it is, its size, its roll) fitted to the brows, eyes and nose, smoothed at ``d_cutoff``."""
    c, z = _pose(pts)
    # size and roll weigh as much as a shift of half a face height (a point at the face's edge moves that much)
    pose = np.column_stack([c.real / max(scale, 1e-6), c.imag / max(scale, 1e-6), 0.5 * np.log(np.abs(z)),
                            0.5 * np.angle(z)])
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
    acc = pts[2:] - 2 * pts[1:-1] + pts[:-2]
    return float(np.linalg.norm(acc, axis=-1).mean() / scale)
