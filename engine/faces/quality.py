"""Is a face good enough to learn from or to swap onto? Size, sharpness and pose."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.faces.align import five_points


@dataclass(frozen=True)
class QualityConfig:
    min_face_px: int = 64  # eye-to-mouth-scaled face width in the source image
    min_sharpness: float = 12.0  # variance of the Laplacian of the aligned crop (grey)
    max_yaw: float = 0.45  # |nose offset from the eyes' midline| / eye distance (0 = frontal)
    max_eyes_doubt: float = 0.1  # eye distances the two landmark models may disagree on the eyes' height


@dataclass(frozen=True)
class Quality:
    face_px: float
    sharpness: float
    yaw: float

    def problems(self, config: QualityConfig = QualityConfig()) -> list[str]:
        out = []
        if self.face_px < config.min_face_px:
            out.append(f"the face is too small ({self.face_px:.0f} px wide; at least {config.min_face_px})")
        if self.sharpness < config.min_sharpness:
            out.append("the face is blurred")
        if abs(self.yaw) > config.max_yaw:
            out.append("the face is turned too far from the camera")
        return out


def measure(landmarks: np.ndarray, aligned_crop: np.ndarray) -> Quality:
    lm = np.asarray(landmarks, dtype=np.float32)
    face_px = float(lm[:, 0].max() - lm[:, 0].min())
    grey = cv2.cvtColor(aligned_crop, cv2.COLOR_RGB2GRAY)
    h = grey.shape[0]
    inner = grey[h // 4: 3 * h // 4, h // 4: 3 * h // 4]
    sharpness = float(cv2.Laplacian(inner, cv2.CV_64F).var()) * (256 / h) ** 2
    return Quality(face_px, sharpness, turn(lm))


def turn(landmarks: np.ndarray) -> float:
    """The face's yaw: the nose tip's offset from the eyes' midline along the eyes' axis, over the eye distance
    (0 = frontal; positive: the nose points to the picture's right)."""
    pts = five_points(np.asarray(landmarks, dtype=np.float32))
    eyes_mid = (pts[0] + pts[1]) / 2
    eye_dist = max(1e-6, float(np.linalg.norm(pts[1] - pts[0])))
    axis = (pts[1] - pts[0]) / eye_dist
    return float(np.dot(pts[2] - eyes_mid, axis) / eye_dist)


REBLUR = 2.0  # px: the known blur that ``edge_blur`` compares a picture against


def edge_blur(rgb: np.ndarray, region: np.ndarray) -> float | None:
    """How soft a picture is: the Gaussian width (px) that would blur a sharp edge into its strongest edges
    inside ``region`` (None when there are too few edges to tell). Blurring an edge of width s by REBLUR
    lowers its gradient by sqrt(s^2 + REBLUR^2) / s: that ratio, read at the strongest edges, gives s."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    again = cv2.GaussianBlur(grey, (0, 0), REBLUR)
    mag = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    mag_again = np.hypot(cv2.Sobel(again, cv2.CV_32F, 1, 0), cv2.Sobel(again, cv2.CV_32F, 0, 1))
    inside = region > 0
    if inside.sum() < 100:
        return None
    strong = inside & (mag >= np.percentile(mag[inside], 95)) & (mag > 8.0)
    if strong.sum() < 20:
        return None
    ratio = float(np.median(mag[strong] / np.maximum(mag_again[strong], 1e-3)))
    return float(REBLUR / np.sqrt(ratio * ratio - 1.0)) if ratio > 1.02 else 4 * REBLUR
