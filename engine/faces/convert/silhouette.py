"""The far cheek of a turned face. On a head turned away from the camera the landmark predictor draws the
far side of the face as if it could see it: its jaw line and far eye lie out in the background, past the
cheek that the nose hides. A face pasted inside that outline shows a ghost there: the cast member's far
cheek and eye, half see-through, over the wall behind the actor. (The occluder test cannot see it when the
background is about as pink as skin, as on the Tears of Steel close-up.)

``beyond`` finds the actor's real outline on that side with GrabCut (colour models of the face and of what
is around it, and a graph cut that keeps each region in one piece): seeded with the nose and the middle of
the face as face, the band outside the predictor's outline as background. Only the far side of a clearly
turned face is touched: on a frontal face, or on the near side, the outline is trusted as it is."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.faces.align import JAW
from engine.faces.quality import turn


@dataclass(frozen=True)
class SilhouetteConfig:
    # a face counts as turned from this much turn (nose offset / eye distance; 0 = frontal) until it comes back
    # under ``leave_yaw`` (hysteresis: the measured turn wobbles by 0.1 from frame to frame)
    enter_yaw: float = 0.32
    leave_yaw: float = 0.2
    fade: float = 0.25  # the cut comes in and goes out by this much a frame (no pop)
    keep: float = 0.5  # share of the previous frame's outline kept (its edge does not crawl)
    size: int = 96  # GrabCut works on the crop at this size (about 20 ms a frame)
    iterations: int = 2
    enabled: bool = True


def _far_side(landmarks: np.ndarray, size: int, towards: float) -> np.ndarray:
    """float mask: 1 on the side of the nose's line the nose points to (``towards`` -1 left, +1 right),
    fading in over a few pixels past the bridge."""
    lm = np.asarray(landmarks, np.float32)
    top, base = lm[27], lm[33]
    direction = base - top
    direction /= max(1e-6, float(np.linalg.norm(direction)))
    normal = np.array([direction[1], -direction[0]], np.float32)  # points to +x for an upright face
    if normal[0] < 0:
        normal = -normal
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    side = ((xs - top[0]) * normal[0] + (ys - top[1]) * normal[1]) * towards
    return np.clip(side / (0.02 * size), 0.0, 1.0)


def _grabcut(crop: np.ndarray, landmarks: np.ndarray, config: SilhouetteConfig) -> np.ndarray:
    """float mask at the crop's size: 1 where GrabCut says face."""
    s = config.size
    f = s / crop.shape[0]
    img = cv2.resize(crop, (s, s), interpolation=cv2.INTER_AREA)
    lm = np.asarray(landmarks, np.float32) * f
    height = float(lm[:, 1].max() - lm[:, 1].min())
    brows = lm[17:27].copy()
    brows[:, 1] -= 0.15 * height
    outline = np.zeros((s, s), np.uint8)
    cv2.fillConvexPoly(outline, cv2.convexHull(np.round(np.vstack([lm[JAW], brows])).astype(np.int32)), 1)
    # surely not face: what is well outside the outline, but for the forehead straight above the brows and
    # the neck straight below the chin (skin, which must not teach the background model skin)
    seeds = np.full((s, s), cv2.GC_PR_BGD, np.uint8)
    away = cv2.dilate(outline, np.ones((max(3, s // 8),) * 2, np.uint8)) == 0
    x0, x1 = int(lm[17:27, 0].min()), int(lm[17:27, 0].max()) + 1
    away[:int(lm[17:27, 1].min()), x0:x1] = False
    x0, x1 = int(lm[4:13, 0].min()), int(lm[4:13, 0].max()) + 1
    away[int(lm[8, 1]):, x0:x1] = False
    seeds[away] = cv2.GC_BGD
    seeds[outline > 0] = cv2.GC_PR_FGD
    core = np.zeros((s, s), np.uint8)
    middle = lm[[27, 28, 29, 30, 31, 33, 35, 51, 57, 62, 66]]  # the nose and the mouth's middle: always face
    cv2.fillConvexPoly(core, cv2.convexHull(np.round(middle).astype(np.int32)), 1)
    seeds[core > 0] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        # its colour models start from k-means on OpenCV's global random state: seeded, the same frame gives
        # the same outline whatever ran before it in the process (a film re-rendered, a bench's earlier rows)
        cv2.setRNGSeed(0)
        cv2.grabCut(np.ascontiguousarray(img), seeds, None, bgd, fgd, config.iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # a degenerate crop (one flat colour): no model to fit, trust the outline
        return np.ones(crop.shape[:2], np.float32)
    face = ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(face, crop.shape[:2][::-1], interpolation=cv2.INTER_LINEAR)


def beyond(crop: np.ndarray, landmarks: np.ndarray, config: SilhouetteConfig = SilhouetteConfig()) -> np.ndarray:
    """float mask (0..1, the aligned crop's size): what lies past the far cheek of the face in ``crop``
    inside the predictor's outline (the side the nose points to), whatever its turn."""
    size = crop.shape[0]
    face = _grabcut(crop, landmarks, config)
    far = _far_side(landmarks, size, 1.0 if turn(landmarks) > 0 else -1.0)
    away = ((1.0 - face) * far > 0.5).astype(np.uint8)
    k = max(3, size // 40) | 1
    away = cv2.morphologyEx(away, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    return cv2.GaussianBlur(away.astype(np.float32), (k, k), 0)


def far_lens(landmarks: np.ndarray, size: int, margin: float = 0.08) -> np.ndarray:
    """float mask: the far eye of a turned face and ``margin`` (of the crop) round it, where the far lens of a
    pair of glasses sits. When the actor's glasses are kept, the cast member's far eye stays there, behind
    that lens: cut away, the lens framed only the wall, and the face read as the actor's (dlib: closer to the
    cast member in 63% of the close-up's frames with it cut, 82% with it kept, as with no outline at all)."""
    lm = np.asarray(landmarks, np.float32)
    eye = lm[36:42] if turn(lm) < 0 else lm[42:48]  # the eye on the side the nose points to
    (x0, y0), (x1, y1) = np.maximum(0, eye.min(0) - margin * size), np.maximum(0, eye.max(0) + margin * size)
    m = np.zeros((size, size), np.float32)
    m[int(y0):int(y1), int(x0):int(x1)] = 1.0
    k = max(3, size // 40) | 1
    return cv2.GaussianBlur(m, (k, k), 0)


class SilhouetteKeeper:
    """One per track, fed its frames in order: ``keeper(crop, landmarks)`` is the mask (0..1) of what not to
    paste past a turned face's far cheek: nothing while the face is not turned, the outline (held a little
    from frame to frame) while it is, fading in and out as it turns."""

    def __init__(self, config: SilhouetteConfig = SilhouetteConfig()) -> None:
        self.config = config
        self.turned: bool | None = None
        self.weight = 0.0
        self.last: np.ndarray | None = None

    def __call__(self, crop: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        c = self.config
        none = np.zeros(crop.shape[:2], np.float32)
        if not c.enabled:
            return none
        yaw = abs(turn(landmarks))
        first = self.turned is None
        self.turned = yaw >= c.enter_yaw if first or not self.turned else yaw >= c.leave_yaw
        goal = 1.0 if self.turned else 0.0
        step = float(np.clip(goal - self.weight, -c.fade, c.fade))
        self.weight = goal if first else float(np.clip(self.weight + step, 0.0, 1.0))
        if self.weight == 0.0:
            self.last = None
            return none
        cut = beyond(crop, landmarks, c)
        if self.last is not None and self.last.shape == cut.shape:
            cut = c.keep * self.last + (1.0 - c.keep) * cut
        self.last = cut
        return cut * self.weight
