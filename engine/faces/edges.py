"""A face to the edges of its shot. The detector runs every few frames, so a face coming on screen is found
up to that many frames late; and near a cut a face often turns, blurs or is covered, and the detector loses
it a few frames before the shot ends. Left so, a swapped face flashes the actor's own face at the start and
end of a shot: the Zone Out film's faces flickering in and out. So a new track looks back over the frames
the detector did not see it in, and a track that a cut (or the clip's end) closes keeps the frames it
followed up to it, as long as what was followed still looks like that face.

Followed landmarks alone do not say so: the predictor draws a face in any box, on a wall as on a face. What
does: the face's size and place (they drift off when the face has gone) and its skin's colour on the cheeks
(on the Tears of Steel close-up, within 5 (Lab a/b) of its last detected frame through a turn, blur and a
light crossing it; 27-34 away on the robot after the cut and on a grey patch over the face)."""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from engine.faces.convert.occlusion import cheeks

Box = tuple[int, int, int, int]
SKIN_TOLERANCE = 10.0  # Lab a/b distance of the cheeks' mean colour from the face's when last found


def lm_bbox(lm: np.ndarray) -> np.ndarray:
    return np.array([lm[:, 0].min(), lm[:, 1].min(), lm[:, 0].max(), lm[:, 1].max()], np.float32)


def follow_box(lm: np.ndarray, offset: np.ndarray, w: int, h: int) -> Box:
    """Where the detector would put its box for these landmarks (their bbox plus the last detection's offset
    from it), inside a ``w`` x ``h`` frame."""
    b = lm_bbox(lm) + offset
    return int(max(0, b[0])), int(max(0, b[1])), int(min(w - 1, b[2])), int(min(h - 1, b[3]))


def skin_chroma(rgb: np.ndarray, lm: np.ndarray) -> np.ndarray | None:
    """The mean colour (Lab a, b) on the cheeks and the nose's sides of the face with these landmarks."""
    polys = cheeks(np.asarray(lm, np.float32))
    pts = np.vstack(polys)
    h, w = rgb.shape[:2]
    x0, y0 = np.clip(np.floor(pts.min(0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(pts.max(0)).astype(int) + 1, 0, [w, h])
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for poly in polys:
        cv2.fillConvexPoly(mask, np.round(poly - (x0, y0)).astype(np.int32), 1)
    ab = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2LAB)[mask > 0][:, 1:]
    return ab.astype(np.float32).mean(0) if len(ab) >= 20 else None


def still_there(rgb: np.ndarray, lm: np.ndarray, anchor: np.ndarray, anchor_skin: np.ndarray | None) -> bool:
    """Whether landmarks followed without the detector are still on the face last found (``anchor``, its
    landmarks; ``anchor_skin``, its skin_chroma): about its size, near where it was, and its skin's colour."""
    a, b = lm_bbox(anchor), lm_bbox(lm)
    wa, wb = a[2] - a[0], b[2] - b[0]
    if wa <= 0 or not 0.75 <= wb / wa <= 1.33:
        return False
    if float(np.hypot(*((b[:2] + b[2:]) / 2 - (a[:2] + a[2:]) / 2))) > 0.5 * wa:
        return False
    skin = skin_chroma(rgb, lm)
    return skin is not None and anchor_skin is not None and float(np.linalg.norm(skin - anchor_skin)) <= SKIN_TOLERANCE


def look_back(recent: list[tuple[int, np.ndarray]], shot_start: int, box: Box, lm: np.ndarray,
              skin: np.ndarray | None, shape: Callable[[np.ndarray, Box], np.ndarray],
              find: Callable[[np.ndarray, Box], Box | None]) -> list[tuple[int, np.ndarray]]:
    """The frames before a new track's first in which its face already was, oldest first. ``recent``: the
    (frame, rgb) before it since the shot began, oldest first; ``box``, ``lm``, ``skin``: the track's first
    detection. Followed back frame by frame, found again by the detector run around where it was (``find``),
    else by the landmarks alone (``shape``). Frames followed without being found count only when the
    following reaches the shot's first frame (``shot_start``) still on that face: it was there from the cut."""
    out: list[tuple[int, np.ndarray]] = []
    found_upto = 0
    offset = np.asarray(box, np.float32) - lm_bbox(lm)
    current = anchor = lm
    for j, rgb in reversed(recent):
        b = follow_box(current, offset, rgb.shape[1], rgb.shape[0])
        if b[2] - b[0] < 8 or b[3] - b[1] < 8:
            break
        found = find(rgb, b)
        if found is not None:
            current = anchor = shape(rgb, found)
            skin = skin_chroma(rgb, current)
            offset = np.asarray(found, np.float32) - lm_bbox(current)
            out.append((j, current))
            found_upto = len(out)
            continue
        current = shape(rgb, b)
        if not still_there(rgb, current, anchor, skin):
            break
        out.append((j, current))
    keep = len(out) if out and out[-1][0] == shot_start else found_upto
    return out[:keep][::-1]
