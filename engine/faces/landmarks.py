"""Faces in an image: dlib's HOG detector on a downscaled copy, 68 landmarks and the 128-d identity
embedding on the full-resolution image. Models come from the ``face_recognition_models`` wheel (offline)."""
from __future__ import annotations

import functools
import importlib.util
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import dlib
import numpy as np

from engine.errors import FaceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FindConfig:
    detect_side: int = 480  # detection runs on the image scaled so its longer side is at most this
    upsample: int = 1  # dlib upsampling passes on the scaled image (finds faces down to ~40 px there)
    min_score: float = -0.2  # HOG confidence below this is ignored


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # left, top, right, bottom in image pixels
    landmarks: np.ndarray  # (68, 2) float32, image pixels (dlib's iBUG 68-point layout)
    score: float

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


def _model_path(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise FaceError("the face models are missing: install face_recognition_models")
    path = Path(spec.origin).parent / "models" / name
    if not path.is_file():
        raise FaceError(f"face model {name} is missing from face_recognition_models")
    return str(path)


@functools.lru_cache(maxsize=1)
def detector():
    return dlib.get_frontal_face_detector()


@functools.lru_cache(maxsize=1)
def predictor():
    return dlib.shape_predictor(_model_path("shape_predictor_68_face_landmarks.dat"))


@functools.lru_cache(maxsize=1)
def eye_predictor():
    """dlib's 5-point model (the eyes' corners and the nose's base): a second opinion on where the eyes are."""
    return dlib.shape_predictor(_model_path("shape_predictor_5_face_landmarks.dat"))


@functools.lru_cache(maxsize=1)
def encoder():
    return dlib.face_recognition_model_v1(_model_path("dlib_face_recognition_resnet_model_v1.dat"))


def as_rgb8(image: np.ndarray) -> np.ndarray:
    """Any 2-D gray, RGB, RGBA or 16-bit array as contiguous RGB uint8 (dlib takes nothing else)."""
    img = np.asarray(image)
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2RGB)
    elif img.ndim != 3 or img.shape[2] != 3:
        raise FaceError(f"an image of shape {img.shape} is not a picture")
    return np.ascontiguousarray(img)


def shape_at(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """68 landmarks (float32, image pixels) of the face in ``box``."""
    rect = dlib.rectangle(int(box[0]), int(box[1]), int(box[2]), int(box[3]))
    shape = predictor()(rgb, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


# box nudges (share of the box's width: right, down, grow) the predictor is asked again at
_NUDGES = ((0, 0, 0), (0.04, 0, 0), (-0.04, 0, 0), (0, 0.04, 0), (0, -0.04, 0), (0, 0, 0.05), (0, 0, -0.05))
# a measuring grid: 25 boxes up to 6% apart. On the Tears of Steel close-up two 7-box readings from boxes 3%
# apart agree on the lips' opening at r 0.72, two 25-box readings at r 0.88 (about 3.5x the predictor's time)
WIDE_NUDGES = tuple((dx, dy, 0.0) for dx in (-0.06, -0.03, 0, 0.03, 0.06) for dy in (-0.06, -0.03, 0, 0.03, 0.06))


def eyes_doubt(rgb: np.ndarray, face: Face) -> float:
    """How far apart, up or down, the 68-point model and the 5-point model put the eyes of ``face`` (the
    detector's box for both), in eye distances. Under 0.05 on every usable photo in shared/data; 0.17 on a
    selfie where dark hair under a helmet's edge, above the glasses, was read as the eyes (the swapped face
    then wore her glasses over the actor's nose)."""
    parts = eye_predictor()(as_rgb8(rgb), dlib.rectangle(*(int(v) for v in face.box))).parts()
    five = np.array([(p.x, p.y) for p in parts], np.float64)
    lm = np.asarray(face.landmarks, np.float64)
    eye_distance = float(np.linalg.norm(lm[36:42].mean(0) - lm[42:48].mean(0)))
    # both eyes' corners, averaged: the 5-point model's (0-3) and the 68-point model's (36, 39, 42, 45)
    return abs(float(five[:4, 1].mean() - lm[[36, 39, 42, 45], 1].mean())) / max(eye_distance, 1e-6)


def shape_robust(rgb: np.ndarray, box: tuple[int, int, int, int],
                 nudges: tuple[tuple[float, float, float], ...] = _NUDGES) -> np.ndarray:
    """68 landmarks as the median of the predictor's answers for the box and nudges of it (six by default;
    ``WIDE_NUDGES`` to measure). On a turned face or behind glasses one box's answer can move the lips by a
    third of their opening when the box moves by 4% (measured on the Tears of Steel close-up); the median
    holds still."""
    w = box[2] - box[0]
    shapes = [shape_at(rgb, (box[0] + (dx - ds) * w, box[1] + (dy - ds) * w, box[2] + (dx + ds) * w,
                             box[3] + (dy + ds) * w)) for dx, dy, ds in nudges]
    return np.median(np.stack(shapes), axis=0).astype(np.float32)


def detect_boxes(rgb: np.ndarray, config: FindConfig = FindConfig()) -> list[tuple[tuple[int, int, int, int], float]]:
    """Face boxes (in ``rgb`` pixels) with their detector scores, largest first."""
    h, w = rgb.shape[:2]
    scale = min(1.0, config.detect_side / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    rects, scores, _ = detector().run(small, config.upsample, config.min_score)
    out = []
    for r, s in zip(rects, scores):
        box = (max(0, round(r.left() / scale)), max(0, round(r.top() / scale)),
               min(w, round(r.right() / scale)), min(h, round(r.bottom() / scale)))
        if box[2] - box[0] > 4 and box[3] - box[1] > 4:
            out.append((box, float(s)))
    return sorted(out, key=lambda b: b[0][2] - b[0][0], reverse=True)


def box_iou(a, b) -> float:
    """Overlap of two (left, top, right, bottom) boxes: intersection over union, 0 when apart."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def detect_near(rgb: np.ndarray, box: tuple[int, int, int, int], config: FindConfig = FindConfig(),
                sizes: tuple[int, ...] = (100, 140)) -> tuple[int, int, int, int] | None:
    """The detector's box for the face expected at ``box`` (a prediction from the last frame), found by
    running the detector on that region alone at the scale a full-frame pass uses (so the box, and the
    landmarks the predictor gives for it, match the full pass's: no pop every few frames), then with the
    face scaled to each of ``sizes`` pixels if it was missed. A fraction of a full-frame pass; None when
    the face is not there."""
    h, w = rgb.shape[:2]
    tries = [(min(1.0, config.detect_side / max(h, w)), config.upsample)]
    bw = box[2] - box[0]
    tries += [(px / bw, 0) for px in sizes] if bw > 0 else []
    for scale, upsample in tries:
        found = _detect_in_region(rgb, box, scale, upsample, config.min_score)
        if found is not None:
            return found
    return None


def _detect_in_region(rgb, box, scale: float, upsample: int, min_score: float) -> tuple[int, int, int, int] | None:
    h, w = rgb.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw < 8 or bh < 8:
        return None
    x0, y0 = max(0, int(box[0] - 0.5 * bw)), max(0, int(box[1] - 0.5 * bh))
    x1, y1 = min(w, int(box[2] + 0.5 * bw)), min(h, int(box[3] + 0.5 * bh))
    roi = cv2.resize(rgb[y0:y1, x0:x1], (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))),
                     interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if min(roi.shape[:2]) * (2 ** upsample) < 80:  # smaller than the detector's window
        return None
    rects, _, _ = detector().run(np.ascontiguousarray(roi), upsample, min_score)
    best, best_iou = None, 0.3
    for r in rects:
        cand = (x0 + round(r.left() / scale), y0 + round(r.top() / scale),
                x0 + round(r.right() / scale), y0 + round(r.bottom() / scale))
        if box_iou(cand, box) > best_iou:
            best, best_iou = cand, box_iou(cand, box)
    if best is None:
        return None
    return max(0, best[0]), max(0, best[1]), min(w, best[2]), min(h, best[3])


def find_faces(image: np.ndarray, config: FindConfig = FindConfig()) -> list[Face]:
    """Every face in an RGB image with its landmarks, largest first."""
    rgb = as_rgb8(image)
    return [Face(box, shape_at(rgb, box), score) for box, score in detect_boxes(rgb, config)]


def find_faces_in_photo(image: np.ndarray, config: FindConfig = FindConfig()) -> list[Face]:
    """Every face in a still photo: looked for as in a video frame, and where that finds none, again at the
    photo's own size (a photo is read once, so the slower pass is affordable). ``cast add``'s check, the face
    set and the photo tips all use this, so they agree on which photos show a face."""
    rgb = as_rgb8(image)
    faces = find_faces(rgb, config)
    if not faces and max(rgb.shape[:2]) > config.detect_side:
        faces = find_faces(rgb, replace(config, detect_side=max(rgb.shape[:2])))
    return faces


def box_from_landmarks(landmarks: np.ndarray) -> tuple[int, int, int, int]:
    """A detector-like box around 68 landmarks (dlib's boxes sit a little inside the jaw outline)."""
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    return int(x0), int(y0 + 0.12 * (y1 - y0)), int(x1), int(y1)


def embedding(image: np.ndarray, landmarks: np.ndarray, jitter: int = 0) -> np.ndarray:
    """The 128-d identity embedding of the face with these 68 landmarks (same person: distance < 0.6)."""
    rgb = as_rgb8(image)
    pts = [dlib.point(int(round(x)), int(round(y))) for x, y in landmarks]
    box = box_from_landmarks(landmarks)
    shape = dlib.full_object_detection(dlib.rectangle(*box), pts)
    return np.array(encoder().compute_face_descriptor(rgb, shape, jitter), dtype=np.float32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def group_by_identity(embeddings, same_person: float) -> list[list[int]]:
    """Indices of ``embeddings`` grouped by person, greedily in the order given: each joins the group whose
    mean embedding is nearest, if within ``same_person``, else starts a group."""
    groups: list[list[int]] = []
    means: list[np.ndarray] = []
    for k, e in enumerate(embeddings):
        d = [distance(e, m) for m in means]
        best = int(np.argmin(d)) if d else -1
        if best >= 0 and d[best] < same_person:
            groups[best].append(k)
            means[best] = np.mean([embeddings[j] for j in groups[best]], axis=0)
        else:
            groups.append([k])
            means.append(np.asarray(e, np.float32))
    return groups
