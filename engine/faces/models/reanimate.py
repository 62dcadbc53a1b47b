"""The re-animating member: the actor keeps their own face and only the mouth and jaw move, to the
driven landmarks (a voice's mouth shapes). It is how footage actors who play a part without a cast
member speak the new lines: their old lip movements no longer contradict the voice."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.align import ALIGN_SIZE
from engine.faces.models._base import AlignedBatch, Generated
from engine.faces.mouth import fill_mouth
from engine.faces.warp import border_points, triangulate, warp_image

LOWER_FACE = list(range(2, 15)) + [31, 32, 33, 34, 35]  # jaw below the cheekbones, under the nose


def lower_face_mask(landmarks: np.ndarray, size: int) -> np.ndarray:
    """The part of the face that moves when someone talks, feathered."""
    lm = np.asarray(landmarks, np.float32)
    pts = lm[LOWER_FACE].copy()
    pts[-5:, 1] -= 0.04 * size  # reach a little above the nostrils
    hull = cv2.convexHull(np.round(pts).astype(np.int32))
    m = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(m, hull, 1.0, lineType=cv2.LINE_AA)
    k = max(3, size // 20) | 1
    m = cv2.erode(m, np.ones((k // 2, k // 2), np.uint8))
    return cv2.GaussianBlur(m, (k, k), 0)


def drive_face(face: np.ndarray, landmarks: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``face`` (aligned crop) warped so its landmarks move to ``target``, with a mouth interior."""
    border = border_points(face.shape[0])
    src = np.vstack([landmarks, border]).astype(np.float32)
    dst = np.vstack([target, border]).astype(np.float32)
    warped = warp_image(face, src, dst, triangulate(dst, face.shape[0]))
    return fill_mouth(warped, target, face, landmarks)[0]


class ReanimateMember:
    name = "reanimate"
    drivable = True
    own_face = True  # its output is the actor's own face, warped: the converter skips colour and occluders

    def convert(self, batch: AlignedBatch) -> Generated:
        faces, masks = [], []
        for k in range(len(batch.faces)):
            if batch.targets is None:
                faces.append(batch.faces[k])
                masks.append(np.zeros(batch.faces[k].shape[:2], np.float32))
                continue
            faces.append(drive_face(batch.faces[k], batch.landmarks[k], batch.targets[k]))
            masks.append(lower_face_mask(np.maximum(batch.landmarks[k], batch.targets[k]), ALIGN_SIZE))
        return Generated(np.stack(faces), np.stack(masks), self.name)
