"""The visible mark every swapped video carries: a small "AI" badge in a corner."""
from __future__ import annotations

import functools

import cv2
import numpy as np


@functools.lru_cache(maxsize=8)
def _badge(height: int) -> tuple[np.ndarray, np.ndarray]:
    scale = max(0.35, height / 720 * 0.9)
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize("AI", cv2.FONT_HERSHEY_DUPLEX, scale, thick)
    pad = max(3, round(th * 0.35))
    img = np.zeros((th + base + 2 * pad, tw + 2 * pad, 3), np.uint8)
    img[:] = (20, 20, 20)
    cv2.putText(img, "AI", (pad, pad + th), cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    alpha = np.full(img.shape[:2], 0.75, np.float32)
    return img, alpha


def mark_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the badge: bottom-right corner, inset."""
    img, _ = _badge(height)
    margin = max(4, height // 60)
    bh, bw = img.shape[:2]
    return width - margin - bw, height - margin - bh, width - margin, height - margin


def add_mark(frame: np.ndarray) -> np.ndarray:
    """``frame`` (in place) with the AI badge."""
    h, w = frame.shape[:2]
    img, alpha = _badge(h)
    x0, y0, x1, y1 = mark_box(w, h)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None]
    frame[y0:y1, x0:x1] = (region * (1 - a) + img * a).astype(np.uint8)
    return frame
