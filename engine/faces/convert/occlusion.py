"""Occluders (glasses, a hand, a microphone): where the source frame shows something other than skin at a
place where the generated face shows skin, the source wins, so what was in front of the face stays there."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class OcclusionConfig:
    chroma_sigmas: float = 3.5  # a pixel this far (Mahalanobis, a/b) from the skin colour is not skin
    light_sigmas: float = 3.0  # ...or this many std darker/brighter than the skin
    min_area: float = 0.002  # occluder blobs smaller than this share of the crop are noise
    edge_band: float = 0.12  # an occluder enters the face from outside: its blob must reach this outer band
    # something in the mouth (a straw, a microphone, a cup, a hand): the lips around it are the actor's too,
    # from this share of the mouth's middle covered (none below it), wholly from the second share
    held: tuple[float, float] = (0.10, 0.25)
    lips_rim: float = 0.06  # ...with this much around the lips (of the crop's size), less above the upper lip
    enabled: bool = True


def cheeks(lm: np.ndarray) -> list[np.ndarray]:
    """Where a face's own skin is sampled: the two cheeks (first) and the nose's sides."""
    return [lm[[1, 2, 3, 31, 39]], lm[[15, 14, 13, 35, 42]], lm[[29, 31, 33, 35]]]


def skin_map(rgb: np.ndarray, landmarks: np.ndarray, config: OcclusionConfig) -> np.ndarray:
    """float mask: 1 where the pixel looks like this face's skin (sampled from its cheeks and nose)."""
    h, w = rgb.shape[:2]
    sample = np.zeros((h, w), np.uint8)
    for poly in cheeks(np.asarray(landmarks, np.float32)):
        cv2.fillConvexPoly(sample, np.round(poly).astype(np.int32), 1)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    pix = lab[sample > 0]
    if len(pix) < 30:
        return np.ones((h, w), np.float32)
    mean = pix.mean(0)
    cov = np.cov(pix[:, 1:].T) + np.eye(2) * 4.0
    inv = np.linalg.inv(cov)
    d = lab[..., 1:] - mean[1:]
    maha = np.sqrt(np.einsum("hwi,ij,hwj->hw", d, inv, d))
    light = np.abs(lab[..., 0] - mean[0]) / (pix[:, 0].std() + 6.0)
    return ((maha < config.chroma_sigmas) & (light < config.light_sigmas)).astype(np.float32)


def occluder_mask(source: np.ndarray, source_lm: np.ndarray, generated: np.ndarray, generated_lm: np.ndarray,
                  face_mask: np.ndarray, config: OcclusionConfig = OcclusionConfig()) -> np.ndarray:
    """float mask (0..1) of what stands in front of the face, inside ``face_mask``."""
    if not config.enabled:
        return np.zeros(face_mask.shape, np.float32)
    return in_front(1.0 - skin_map(source, source_lm, config), skin_map(generated, generated_lm, config),
                    face_mask, config)


def in_front(not_skin: np.ndarray, should_be_skin: np.ndarray, face_mask: np.ndarray,
             config: OcclusionConfig = OcclusionConfig()) -> np.ndarray:
    """float mask (0..1): what is not skin where skin should be, in blobs that come in from the face's edge."""
    occ = ((not_skin * should_be_skin * (face_mask > 0.5)) > 0.5).astype(np.uint8)
    occ = cv2.morphologyEx(occ, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(occ, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= config.min_area * occ.size
    # a dark reflection in a lens or a shadow inside the face is not in front of it: only blobs that reach
    # the face's outer band (a hand, a microphone, the arms of glasses) count
    band_px = max(2, int(config.edge_band * face_mask.shape[0]))
    inner = cv2.erode((face_mask > 0.5).astype(np.uint8), np.ones((band_px, band_px), np.uint8))
    outer = (face_mask > 0.5) & (inner == 0)
    keep &= np.bincount(labels[outer].ravel(), minlength=n)[:n] > 0
    occ = keep[labels].astype(np.float32)
    occ = cv2.dilate(occ, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(occ, (5, 5), 0)


class SkinMemory:
    """On the actor's own face (a voice moving their mouth, no cast member), there is no new face to say
    where skin should be. This remembers, for one track, where the face has shown skin (aligned crop pixels,
    forgotten over about three seconds): what now covers skin that was there (a straw, a hand, a cup coming
    up) is in front of the face. A beard, never skin, is not."""

    def __init__(self, config: OcclusionConfig = OcclusionConfig(), forget: float = 0.99) -> None:
        self.config, self.forget = config, forget
        self.seen: np.ndarray | None = None

    def __call__(self, crop: np.ndarray, landmarks: np.ndarray, face_mask: np.ndarray) -> np.ndarray:
        """float mask (0..1) of what stands in front of this frame's face; remembers its skin."""
        skin = skin_map(crop, landmarks, self.config)
        occ = np.zeros(face_mask.shape, np.float32)
        if self.config.enabled and self.seen is not None and self.seen.shape == skin.shape:
            occ = in_front(1.0 - skin, (self.seen > 0.5).astype(np.float32), face_mask, self.config)
        self.seen = skin if self.seen is None or self.seen.shape != skin.shape \
            else np.maximum(skin, self.seen * self.forget)
        return occ


def mouth_middle(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """uint8 mask: the middle 70% of the mouth's width, from the top of the upper lip to a little under the
    lower one: where a straw, a microphone or a hand at the mouth is (the cheek beside a turned face is not)."""
    lm = np.asarray(landmarks, np.float32)
    left, right = lm[48], lm[54]
    centre, half = (left + right) / 2, (right - left) * 0.35
    top = lm[[50, 51, 52], 1].min()
    bottom = lm[55:60, 1].max() + 0.08 * shape[0]
    poly = np.array([[centre[0] - half[0], top], [centre[0] + half[0], top],
                     [centre[0] + half[0], bottom], [centre[0] - half[0], bottom]])
    zone = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(zone, np.round(poly).astype(np.int32), 1)
    return zone


def held(occ: np.ndarray, landmarks: np.ndarray, config: OcclusionConfig = OcclusionConfig()) -> float:
    """0..1: how surely something is in the mouth (a straw, a microphone, a hand), from the share of the
    mouth's middle that ``occ`` covers."""
    zone = mouth_middle(landmarks, occ.shape)
    covered = float((occ > 0.5)[zone > 0].mean()) if zone.any() else 0.0
    lo, hi = config.held
    return float(np.clip((covered - lo) / (hi - lo), 0.0, 1.0))


def held_lips(occ: np.ndarray, landmarks: np.ndarray, config: OcclusionConfig = OcclusionConfig()) -> np.ndarray:
    """float mask: the source's lips (and a rim, but hardly any above the upper lip: the shadow under the
    actor's nose would be a moustache on the new face) where an occluder covers the middle of the mouth,
    weighted by how much it covers, so the lips round a straw come in over a few frames as it arrives."""
    weight = held(occ, landmarks, config)
    if weight == 0.0:
        return np.zeros(occ.shape, np.float32)
    size = occ.shape[0]
    lips = np.zeros(occ.shape, np.uint8)
    cv2.fillPoly(lips, [np.round(np.asarray(landmarks)[48:60]).astype(np.int32)], 1)
    k = max(3, int(config.lips_rim * size) | 1)
    lips = cv2.dilate(lips, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(np.float32)
    top = int(np.floor(np.asarray(landmarks)[48:55, 1].min() - 0.015 * size))
    lips[:max(0, top)] = 0.0
    return cv2.GaussianBlur(lips, (0, 0), 0.01 * size + 1) * weight


def toned(source: np.ndarray, face: np.ndarray, region: np.ndarray, ring: float = 0.04) -> np.ndarray:
    """``source`` shifted (LAB, by the median difference on a ring just outside ``region``) to sit in
    ``face``'s tones: the actor's lips brought in round a straw take the new face's skin, not the actor's."""
    size = region.shape[0]
    inside = (region > 0.05).astype(np.uint8)
    k = max(3, int(ring * size) | 1)
    band = (cv2.dilate(inside, np.ones((k, k), np.uint8)) > 0) & (inside == 0)
    if band.sum() < 20:
        return source
    lab_s = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_f = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    shift = np.median(lab_f[band] - lab_s[band], axis=0)
    return cv2.cvtColor(np.clip(lab_s + shift, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
