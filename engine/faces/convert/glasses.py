"""Glasses stay on the actor's face, whole. Their frame is thin and dark, often no darker than a shadow,
so the skin test of ``occlusion`` keeps only scraps of it (an arm, a corner of a rim) and the swapped face
looks as if it wore ghostly half-glasses. Here the frame is found as what it is: thin lines, darker than
around them (a morphological black-hat) or, for a white or metal frame, lighter (a top-hat), where glasses sit:
around the eyes, across the bridge of the nose and out to the temples. The eyes, the lenses in front of them,
the brows and the nose below the bridge stay the cast member's. Whether a face wears glasses is decided per
track with hysteresis (a bridge across the nose, frame after frame), so they do not flicker on and off.
A cast member who wears glasses in their photos brings their own pair: the actor's are then left off
(``wears_glasses``; two pairs, one inside the other, is what keeping both gave)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class GlassesConfig:
    line_px: float = 9 / 256  # thickest frame line looked for, as a share of the crop's side
    on: float = 18.0  # bridge line strength (L, 0-255, black- or top-hat) at which a face starts wearing glasses...
    off: float = 12.0  # ...and below which it stops (hysteresis)
    memory: float = 0.8  # how much of the running bridge strength each new frame keeps
    line_share: float = 0.45  # frame pixels: a line at least this share of the bridge's strength
    min_line: float = 8.0  # ...and at least this strong
    brows: float = 0.3  # the brows' line thickness left out, as a share of the eye's width (0: none)
    enabled: bool = True  # False: the actor's glasses are never kept (``swap --glasses remove``)
    over_own: bool = False  # keep the actor's even when the cast member wears their own (``--glasses keep``)


def _thin_lines(crop: np.ndarray, config: GlassesConfig) -> tuple[np.ndarray, np.ndarray]:
    """Thin lines darker than around them (a dark frame: black-hat) and lighter (a white or metal one: top-hat)."""
    k = max(3, int(round(config.line_px * crop.shape[0])) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    lightness = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)[..., 0]
    return (cv2.morphologyEx(lightness, cv2.MORPH_BLACKHAT, kernel).astype(np.float32),
            cv2.morphologyEx(lightness, cv2.MORPH_TOPHAT, kernel).astype(np.float32))


def _eye_width(lm: np.ndarray) -> float:
    return float(max(np.linalg.norm(lm[39] - lm[36]), np.linalg.norm(lm[45] - lm[42]), 1.0))


def bridge_strength(blackhat: np.ndarray, lm: np.ndarray) -> float:
    """How dark a line crosses the bridge of the nose between the eyes (median over its columns of each
    column's darkest thin line). A frown's wrinkles are vertical and fill few columns; a glasses bridge
    fills them all."""
    ew = _eye_width(lm)
    inner = (lm[42, 0] - lm[39, 0]) * 0.15  # the middle of the bridge: clear of the brows' heads
    x0, x1 = int(round(lm[39, 0] + inner)), int(round(lm[42, 0] - inner))
    y0 = int(round(max(lm[21, 1], lm[22, 1]) + 0.15 * ew))
    y1 = int(round(max(lm[36:42, 1].mean(), lm[42:48, 1].mean())))
    h, w = blackhat.shape
    x0, x1, y0, y1 = max(0, x0), min(w - 1, x1), max(0, y0), min(h - 1, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    return float(np.median(blackhat[y0:y1 + 1, x0:x1 + 1].max(axis=0)))


def glasses_region(lm: np.ndarray, size: int) -> np.ndarray:
    """uint8 mask of where glasses sit, lenses included: around each eye, across the nose's bridge and out
    to the temples."""
    ew = _eye_width(lm)
    zone = np.zeros((size, size), np.uint8)
    for eye in (lm[36:42], lm[42:48]):
        c = eye.mean(0)
        cv2.ellipse(zone, (int(c[0]), int(c[1] + 0.1 * ew)), (int(1.35 * ew), int(1.05 * ew)), 0, 0, 360, 1, -1)
    top = min(lm[21, 1], lm[22, 1])
    eye_y = (lm[36:42, 1].mean() + lm[42:48, 1].mean()) / 2
    cv2.rectangle(zone, (int(lm[39, 0]), int(top)), (int(lm[42, 0]), int(eye_y)), 1, -1)
    for corner, edge in ((lm[36], 0), (lm[45], size - 1)):  # the arms, out to the temples
        y = corner[1] - 0.2 * ew
        cv2.rectangle(zone, (int(corner[0]), int(y - 0.35 * ew)), (edge, int(y + 0.35 * ew)), 1, -1)
    return zone


def glasses_zone(lm: np.ndarray, size: int, brows: float = 0.3) -> np.ndarray:
    """uint8 mask of where a glasses frame can be (``glasses_region``) less the eyes, the lenses in front of
    them and the brows (they are dark lines too, and they are the cast member's)."""
    ew = _eye_width(lm)
    zone = glasses_region(lm, size)
    out = np.zeros_like(zone)
    for eye in (lm[36:42], lm[42:48]):  # the eye and the lens around it: only the rim is the frame
        c = eye.mean(0)
        cv2.ellipse(out, (int(c[0]), int(c[1])), (int(0.8 * ew), int(0.45 * ew)), 0, 0, 360, 1, -1)
    for brow in (lm[17:22], lm[22:27]) if brows > 0 else ():
        cv2.polylines(out, [np.round(brow).astype(np.int32)], False, 1, max(2, int(brows * ew)))
    # the nose below the bridge: its sides' shadows are dark lines too, and the nose is the cast member's
    lids = lm[[37, 38, 43, 44], 1].mean()
    cv2.rectangle(out, (int(lm[39, 0]), int(lids + 0.15 * ew)), (int(lm[42, 0]), size - 1), 1, -1)
    return zone & (1 - out)


def wears_glasses(faces: np.ndarray, landmarks: np.ndarray, config: GlassesConfig = GlassesConfig()) -> bool:
    """Whether the person in these aligned faces (a cast member's face set) wears glasses: a frame's bridge
    across the nose, dark or light, in most of their photos."""
    if len(faces) == 0:
        return False
    strengths = [max(bridge_strength(x, lm) for x in _thin_lines(f, config)) for f, lm in zip(faces, landmarks)]
    return float(np.median(strengths)) >= config.on


class GlassesKeeper:
    """One per track: ``keeper(crop, landmarks)`` is the float mask of the glasses frame to keep in front
    (zeros while the face wears none)."""

    def __init__(self, config: GlassesConfig = GlassesConfig()) -> None:
        self.config = config
        self.strength: np.ndarray | None = None  # running bridge strength: dark frame, light frame
        self.wearing = False

    def __call__(self, crop: np.ndarray, lm: np.ndarray) -> np.ndarray:
        size = crop.shape[0]
        lines = _thin_lines(crop, self.config)
        now = np.array([bridge_strength(x, lm) for x in lines])
        m = self.config.memory
        self.strength = now if self.strength is None else m * self.strength + (1 - m) * now
        # one kind of frame per face: the light lines inside a dark frame are glints on the lens and skin,
        # and keeping them brings the actor's own eyes back
        kind = int(np.argmax(self.strength))
        strength = float(self.strength[kind])
        self.wearing = strength >= (self.config.off if self.wearing else self.config.on)
        if not self.wearing or not self.config.enabled:
            return np.zeros((size, size), np.float32)
        line = (lines[kind] >= max(self.config.min_line, self.config.line_share * strength)) & \
            (glasses_zone(lm, size, self.config.brows) > 0)
        line = line.astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(line, connectivity=8)
        keep = np.zeros(n, bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(4, int(2e-4 * size * size))
        frame = keep[labels].astype(np.float32)
        return cv2.GaussianBlur(frame, (3, 3), 0)

    def leave_off(self, occluders: np.ndarray, lm: np.ndarray) -> np.ndarray:
        """``occluders`` (the occlusion test's mask) less what lies where glasses sit, when the actor wears
        glasses that are to be left off: the test would otherwise keep scraps of them (a rim, a dark lens).
        Call it after this frame's ``keeper(crop, landmarks)``."""
        if self.config.enabled or not self.wearing:
            return occluders
        return occluders * (1.0 - glasses_region(lm, occluders.shape[0]).astype(np.float32))
