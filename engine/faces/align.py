"""Alignment: a similarity transform (rotation, uniform scale, shift) that puts a face's eyes, nose and
mouth corners where a canonical template has them. Every face model in engine.faces works on these
aligned crops; ``Aligned.matrix`` takes image points into the crop, ``inverse`` takes them back.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Canonical positions (fractions of the crop) of: left eye centre, right eye centre, nose tip, left and
# right mouth corner, for a crop that shows the whole face from brow to chin with a margin.
TEMPLATE = np.array([[0.355, 0.400], [0.645, 0.400], [0.500, 0.560], [0.380, 0.700], [0.620, 0.700]],
                    dtype=np.float32)
ALIGN_SIZE = 256  # the size face sets are stored at; models resample to their own resolution

# landmark groups of the iBUG 68-point layout
JAW = slice(0, 17)
BROWS = slice(17, 27)
NOSE = slice(27, 36)
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
MOUTH = slice(48, 68)
INNER_LIPS = slice(60, 68)


def five_points(landmarks: np.ndarray) -> np.ndarray:
    lm = np.asarray(landmarks, dtype=np.float32)
    return np.stack([lm[LEFT_EYE].mean(0), lm[RIGHT_EYE].mean(0), lm[30], lm[48], lm[54]])


def align_matrix(landmarks: np.ndarray, size: int = ALIGN_SIZE) -> np.ndarray:
    """2x3 similarity transform from image pixels to a ``size`` x ``size`` aligned crop."""
    src = five_points(landmarks)
    dst = TEMPLATE * size
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if m is None:  # degenerate landmarks: fall back to the eyes alone
        m = _two_point(src[0], src[1], dst[0], dst[1])
    return m.astype(np.float32)


def _two_point(a, b, c, d) -> np.ndarray:
    v1, v2 = b - a, d - c
    s = np.linalg.norm(v2) / max(1e-6, np.linalg.norm(v1))
    ang = np.arctan2(v2[1], v2[0]) - np.arctan2(v1[1], v1[0])
    r = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) * s
    t = c - r @ a
    return np.hstack([r, t[:, None]])


def invert(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix.astype(np.float64)).astype(np.float32)


def transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float32)
    return (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


@dataclass
class Aligned:
    crop: np.ndarray  # (size, size, 3) uint8 RGB
    landmarks: np.ndarray  # (68, 2) float32 in crop pixels
    matrix: np.ndarray  # 2x3 image -> crop

    @property
    def inverse(self) -> np.ndarray:
        return invert(self.matrix)


def align(image: np.ndarray, landmarks: np.ndarray, size: int = ALIGN_SIZE) -> Aligned:
    """The aligned crop of the face with these landmarks."""
    m = align_matrix(landmarks, size)
    crop = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return Aligned(crop, transform(landmarks, m), m)


# each iBUG-68 landmark's mirror image (left eye <-> right eye, jaw reversed, ...)
MIRROR = np.array(list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + list(range(35, 30, -1))
                  + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] + list(range(54, 47, -1)) + [59, 58, 57, 56, 55]
                  + [64, 63, 62, 61, 60] + [67, 66, 65])


def mirror(crop: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An aligned face flipped left to right, with its landmarks renumbered (the template is symmetric, so
    the flipped crop is aligned too): the same person turned the other way."""
    size = crop.shape[1]
    lm = np.asarray(landmarks, np.float32)[MIRROR].copy()
    lm[:, 0] = size - 1 - lm[:, 0]
    return np.ascontiguousarray(crop[:, ::-1]), lm


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap over face height (chin to brow): 0 closed, ~0.1 wide open."""
    lm = np.asarray(landmarks, dtype=np.float32)
    gap = np.mean([np.linalg.norm(lm[61] - lm[67]), np.linalg.norm(lm[62] - lm[66]), np.linalg.norm(lm[63] - lm[65])])
    height = np.linalg.norm(lm[8] - (lm[19] + lm[24]) / 2)
    return float(gap / max(1e-6, height))


def eye_opening(landmarks: np.ndarray) -> float:
    """Mean eyelid gap over eye width, both eyes."""
    lm = np.asarray(landmarks, dtype=np.float32)
    out = []
    for a, b, c, d, e, f in ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47)):
        gap = (np.linalg.norm(lm[b] - lm[f]) + np.linalg.norm(lm[c] - lm[e])) / 2
        out.append(gap / max(1e-6, np.linalg.norm(lm[a] - lm[d])))
    return float(np.mean(out))
