"""The inside of the mouth. A still photo with closed lips has no mouth interior to open, so when the
swapped face's lips part, the interior comes from the actor's own open mouth (warped to the new lips)
or, when the actor's mouth is closed (a voice driving the lips), is drawn: a dark cavity, upper teeth."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.align import INNER_LIPS, mouth_opening

OPEN_ENOUGH = 0.012  # inner-lip gap / face height above which the actor's own mouth interior is used


def closed(landmarks: np.ndarray) -> np.ndarray:
    """The same face with its lips together (inner lip pairs met at their midpoints)."""
    lm = np.asarray(landmarks, np.float32).copy()
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        mid = (lm[upper] + lm[lower]) / 2
        lm[upper] = lm[lower] = mid
    return lm


def _poly_mask(shape: tuple[int, int], poly: np.ndarray, blur: int) -> np.ndarray:
    m = np.zeros(shape, np.float32)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1.0, lineType=cv2.LINE_AA)
    if blur > 1:
        m = cv2.GaussianBlur(m, (blur | 1, blur | 1), 0)
    return m


def drawn_interior(face: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """A mouth cavity for the lips ``inner`` (8 points): dark, warm, with a band of upper teeth."""
    h, w = face.shape[:2]
    x0, y0 = inner.min(0)
    x1, y1 = inner.max(0)
    out = np.empty_like(face)
    out[:] = (38, 14, 16)
    gap = max(1.0, y1 - y0)
    teeth_h = int(round(min(gap * 0.35, (x1 - x0) * 0.12)))
    if teeth_h >= 2:
        top = np.round(inner[[1, 2, 3]].mean(0)).astype(int)
        cv2.ellipse(out, (int(top[0]), int(top[1])), (int((x1 - x0) * 0.32), teeth_h), 0, 0, 180, (206, 198, 186), -1,
                    lineType=cv2.LINE_AA)
    return out


def fill_mouth(face: np.ndarray, target: np.ndarray, source: np.ndarray | None, source_lm: np.ndarray | None) -> np.ndarray:
    """``face`` with the region inside the target inner lips replaced by an interior (see module doc)."""
    inner_t = np.asarray(target, np.float32)[INNER_LIPS]
    opening = mouth_opening(target)
    if opening < 0.008:
        return face
    size = face.shape[0]
    own = mouth_opening(source_lm) if source_lm is not None else 0.0
    # the actor's own interior only where their mouth is really open about as wide (a voice opening a closed
    # mouth would otherwise stretch their lips into the gap, which reads as a closed mouth)
    if source is not None and own >= OPEN_ENOUGH and own >= 0.7 * opening:
        inner_s = np.asarray(source_lm, np.float32)[INNER_LIPS]
        m, _ = cv2.estimateAffine2D(inner_s, inner_t)
        interior = cv2.warpAffine(source, m, (size, size), borderMode=cv2.BORDER_REFLECT) if m is not None \
            else drawn_interior(face, inner_t)
    else:
        interior = drawn_interior(face, inner_t)
    alpha = _poly_mask(face.shape[:2], inner_t, blur=max(3, size // 96))[..., None]
    return (face * (1 - alpha) + interior * alpha).astype(np.uint8)
