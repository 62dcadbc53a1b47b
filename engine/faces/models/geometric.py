"""The geometric member: no training. The cast member's own face (shape and texture, from their face
set) is moved by the actor's expression and pose, warped piecewise-affinely over Delaunay triangles,
so it follows the actor at once. The CPU default and the baseline every learned member must beat.

Why the cast member's shape and not the actor's: identity lives in the face's shape as much as in its
texture (see shared/notes/faces-calibration.md: texture on the actor's geometry was recognised as the
cast member in 18/60 frames, the cast member's own shape in 60/60).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.faces.align import ALIGN_SIZE, JAW, mirror, mouth_opening
from engine.faces.convert.glasses import wears_glasses
from engine.faces.convert.occlusion import OcclusionConfig, cheeks, skin_map
from engine.faces.faceset import FaceSet
from engine.faces.models._base import AlignedBatch, Generated
from engine.faces.mouth import closed, fill_mouth, sealed
from engine.faces.quality import measure
from engine.faces.warp import border_points, triangulate, warp_image


@dataclass(frozen=True)
class GeometricConfig:
    brow_lift: float = 0.10  # the mask reaches this share of the face height above the brows
    feather: float = 0.06  # mask edge softness, share of the crop
    expression: float = 1.0  # how much of the actor's expression moves the cast face (1 = all)


def hull_mask(landmarks: np.ndarray, size: int, brow_lift: float, feather: float) -> np.ndarray:
    """The face's outline (jaw, brows lifted to take in the forehead's lower part), feathered inwards."""
    lm = np.asarray(landmarks, np.float32)
    height = float(lm[:, 1].max() - lm[:, 1].min())
    brows = lm[17:27].copy()
    brows[:, 1] -= brow_lift * height
    hull = cv2.convexHull(np.round(np.vstack([lm[JAW], brows])).astype(np.int32))
    m = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(m, hull, 1.0, lineType=cv2.LINE_AA)
    k = max(3, int(feather * size)) | 1
    m = cv2.erode(m, np.ones((k // 2 + 1, k // 2 + 1), np.uint8))
    return cv2.GaussianBlur(m, (k, k), 0)


# stricter than the occlusion test's skin: a pale photo background next to a pale cheek passes the looser one
# (seen as a white crescent along the cheek when a frontal photo is turned to the actor's pose)
GATE = OcclusionConfig(chroma_sigmas=2.5, light_sigmas=2.0)


def _dark_above_brows(face: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 above the brows where the photo is much darker than the cheeks: hair or a helmet over the forehead
    (a backlit face's dark skin passes the skin test, and a fringe with it). Also returns the fringe: that
    dark where it comes on down over the brows, one piece with the hair above. A fringe that
    hides the brows is where the predictor puts them, and kept as brows it showed as a dark bar across the
    new forehead; real brows, with skin between them and the hair, are not part of it."""
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sample = np.zeros(grey.shape, np.uint8)
    for poly in cheeks(np.asarray(landmarks, np.float32))[:2]:
        cv2.fillConvexPoly(sample, np.round(poly).astype(np.int32), 1)
    pix = grey[sample > 0]
    none = np.zeros(grey.shape, np.float32)
    if len(pix) < 30:
        return none, none
    dark = grey < pix.mean() - 1.0 * (pix.std() + 6.0)
    brow_top = int(landmarks[17:27, 1].min())
    # below the brows' lowest point (or the upper lids, if higher) is never hair: eyes, the rims of glasses
    dark[int(min(landmarks[[37, 38, 43, 44], 1].min(), landmarks[17:27, 1].max() + 1)):] = False
    n, labels = cv2.connectedComponents(dark.astype(np.uint8), connectivity=8)
    fringe = none
    if n > 1:
        hair = np.zeros(n, bool)
        hair[np.unique(labels[:brow_top][dark[:brow_top]])] = True
        hair[0] = False
        brows = np.zeros(grey.shape, np.uint8)
        for brow in (landmarks[17:22], landmarks[22:27]):
            cv2.polylines(brows, [np.round(brow).astype(np.int32)], False, 1, 3)
        # a fringe covers most of the brows' line; hair that only touches a brow's end does not
        if np.mean(hair[labels[brows > 0]]) > 0.6:
            fringe = (hair[labels] & (np.arange(grey.shape[0])[:, None] >= brow_top)).astype(np.float32)
    dark[brow_top:] = False
    return dark.astype(np.float32), fringe


def skin_gate(face: np.ndarray, landmarks: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` less whatever in the warped photo is not the cast member's skin (sky, hair or a helmet over the
    forehead, a collar behind the cheek); brows, eyes, nose and mouth are always kept (they are much of who
    someone is: without the brows, identity fell from 94% to 70% of frames on the Tears of Steel close-up)."""
    size = face.shape[0]
    core = np.zeros((size, size), np.float32)
    features = np.vstack([landmarks[[19, 20, 23, 24]], landmarks[27:68]])  # brows' middles, eyes, nose, mouth
    cv2.fillConvexPoly(core, cv2.convexHull(np.round(features).astype(np.int32)), 1.0)
    above, fringe = _dark_above_brows(face, landmarks)
    skin = skin_map(face, landmarks, GATE) * (1.0 - above)
    skin = np.maximum(skin, core) * (1.0 - fringe)
    skin = cv2.morphologyEx(skin, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    k = max(3, size // 32) | 1
    skin = np.maximum(cv2.erode(skin, np.ones((k, k), np.uint8)), core * (1.0 - fringe))  # the photo's edge is half sky
    return mask * cv2.GaussianBlur(skin, (k, k), 0)


MIRRORED_COST = 0.4  # a mirrored face is picked only when it is turned better by 0.1 of yaw or more


def pick_reference(faces: np.ndarray, landmarks: np.ndarray, neutral: np.ndarray | None, mirrored: int = 0) -> int:
    """The face to animate: sharp, mouth closed, turned like the actor's neutral face. The last ``mirrored``
    of ``faces`` are flipped copies of others (a person turned the other way), used only when clearly better."""
    want_yaw = measure(neutral, np.zeros((ALIGN_SIZE, ALIGN_SIZE, 3), np.uint8)).yaw if neutral is not None else 0.0
    best, best_cost = 0, float("inf")
    for i in range(len(faces)):
        q = measure(landmarks[i], faces[i])
        cost = abs(q.yaw - want_yaw) * 4 + mouth_opening(landmarks[i]) * 10 + (1.0 if q.sharpness < 20 else 0.0)
        cost += MIRRORED_COST if i >= len(faces) - mirrored else 0.0
        if cost < best_cost:
            best, best_cost = i, cost
    return best


class GeometricMember:
    name = "geometric"
    drivable = True  # it follows AlignedBatch.targets itself

    def __init__(self, faceset: FaceSet, config: GeometricConfig = GeometricConfig()) -> None:
        if len(faceset) == 0:
            raise ValueError("the geometric member needs at least one face")
        self.faceset = faceset
        self.config = config
        self.wears_glasses = wears_glasses(faceset.faces, faceset.landmarks)  # their own pair comes with the face
        # the set's faces and their mirror images: a face set turned one way can still match an actor turned
        # the other (a frontal photo warped onto a turned head shows where the two faces meet)
        # (a smiling photo's teeth are painted over first: the mouth's inside comes from the actor, mouth.py)
        own = np.stack([sealed(f, lm) for f, lm in zip(faceset.faces, faceset.landmarks)])
        flipped = [mirror(f, lm) for f, lm in zip(own, faceset.landmarks)]
        self.faces = np.concatenate([own, np.stack([f for f, _ in flipped])])
        self.landmarks = np.concatenate([faceset.landmarks, np.stack([lm for _, lm in flipped])]).astype(np.float32)
        self._ref: dict[bytes, int] = {}
        self._border = border_points(ALIGN_SIZE)

    def reference(self, neutral: np.ndarray | None) -> int:
        key = b"" if neutral is None else np.round(neutral).astype(np.int16).tobytes()
        if key not in self._ref:
            self._ref[key] = pick_reference(self.faces, self.landmarks, neutral, mirrored=len(self.faceset))
        return self._ref[key]

    def shape_weights(self, ref: int, neutral: np.ndarray) -> np.ndarray:
        """(68, 1) how much of the cast member's own shape each landmark takes. All of it when the actor
        faces the camera as the reference does; when the actor is turned away, the outline follows the
        actor more (a frontal outline on a turned head shows background inside the face), features less so."""
        blank = np.zeros((ALIGN_SIZE, ALIGN_SIZE, 3), np.uint8)
        turn = abs(measure(neutral, blank).yaw - measure(self.landmarks[ref], blank).yaw)
        w = np.full((68, 1), max(0.6, 1.0 - turn), np.float32)
        w[JAW] = max(0.25, 1.0 - 2.5 * turn)
        return w

    def target_landmarks(self, batch: AlignedBatch, k: int, ref: int, weights: np.ndarray) -> np.ndarray:
        """The actor's (or the driven) landmarks at frame k moved by the cast member's shape: equal to
        the reference shape plus the actor's expression when both face the camera alike."""
        drive = batch.targets[k] if batch.targets is not None else batch.landmarks[k]
        # lips together in both rest faces: the mouth then opens exactly as much as the actor's (or the
        # voice's), not by the photo's own smile, and never by the actor's average opening
        neutral = closed(batch.neutral if batch.neutral is not None else batch.landmarks[k])
        identity = closed(self.landmarks[ref]) - neutral
        return neutral + weights * identity + self.config.expression * (drive - neutral)

    def convert(self, batch: AlignedBatch) -> Generated:
        ref = self.reference(batch.neutral)
        src_face, src_lm = self.faces[ref], self.landmarks[ref]
        src_pts = np.vstack([src_lm, self._border])
        tris = triangulate(src_pts, ALIGN_SIZE)
        neutral = batch.neutral if batch.neutral is not None else batch.landmarks.mean(0)
        weights = self.shape_weights(ref, neutral)
        faces, masks, own = [], [], []
        for k in range(len(batch.faces)):
            target = self.target_landmarks(batch, k, ref, weights)
            dst_pts = np.vstack([target, self._border]).astype(np.float32)
            face = warp_image(src_face, src_pts, dst_pts, tris)
            face, actors = fill_mouth(face, target, batch.faces[k], batch.landmarks[k], follow=batch.targets is None)
            faces.append(face)
            own.append(actors)
            masks.append(skin_gate(face, target, hull_mask(target, ALIGN_SIZE, self.config.brow_lift, self.config.feather)))
        return Generated(np.stack(faces), np.stack(masks), self.name, own=np.stack(own))
