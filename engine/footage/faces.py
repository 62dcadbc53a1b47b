"""Who is in a shot and how it is framed: faces in sampled frames (engine.faces), grouped into people by
identity embedding, and matched across the library into actors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.faces.landmarks import embedding, find_faces
from engine.footage.model import ShotFace

SAME_PERSON = 0.5  # embedding distance under which two faces are the same actor


@dataclass(frozen=True)
class FramingConfig:
    min_face_px: int = 24  # smaller faces are ignored (too small to recognise or to swap)
    closeup_ratio: float = 0.25  # one face at least this share of the frame height: a close-up
    two_shot_ratio: float = 0.12  # two faces, the larger at least this share: a two-shot


def framing(faces: tuple[ShotFace, ...], config: FramingConfig = FramingConfig()) -> str:
    """closeup | two-shot | wide | none, from how many people are seen and how large."""
    if not faces:
        return "none"
    largest = max(f.height_ratio for f in faces)
    if len(faces) == 1:
        return "closeup" if largest >= config.closeup_ratio else "wide"
    if len(faces) == 2 and largest >= config.two_shot_ratio:
        return "two-shot"
    return "wide"


@dataclass
class _Person:
    embeddings: list
    height_ratio: float
    box: tuple[int, int, int, int]
    frames: set
    crop: np.ndarray | None

    def mean(self) -> np.ndarray:
        return np.mean(self.embeddings, axis=0).astype(np.float32)


def shot_faces(frames: list[tuple[float, np.ndarray]], config: FramingConfig = FramingConfig()) -> tuple[ShotFace, ...]:
    """The people seen in a shot's sampled frames, largest first. A face seen in too few of the frames
    (a detector's stray hit) is dropped."""
    people: list[_Person] = []
    for t, rgb in frames:
        h = rgb.shape[0]
        for face in find_faces(rgb):
            if face.height < config.min_face_px:
                continue
            emb = embedding(rgb, face.landmarks)
            person = _nearest(people, emb)
            ratio = face.height / h
            if person is None:
                people.append(_Person([emb], ratio, face.box, {t}, _crop(rgb, face.box)))
                continue
            person.embeddings.append(emb)
            person.frames.add(t)
            if ratio > person.height_ratio:
                person.height_ratio, person.box, person.crop = ratio, face.box, _crop(rgb, face.box)
    need = 1 if len(frames) < 3 else max(1, len(frames) // 3)
    kept = [p for p in people if len(p.frames) >= need]
    kept.sort(key=lambda p: -p.height_ratio)
    return tuple(ShotFace(p.mean(), round(p.height_ratio, 3), tuple(int(v) for v in p.box), len(p.frames), p.crop)
                 for p in kept)


def _nearest(people: list[_Person], emb: np.ndarray) -> _Person | None:
    best, best_d = None, SAME_PERSON
    for p in people:
        d = float(np.linalg.norm(p.mean() - emb))
        if d < best_d:
            best, best_d = p, d
    return best


def _crop(rgb: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.35) -> np.ndarray:
    l, t, r, b = box
    mx, my = int((r - l) * margin), int((b - t) * margin)
    h, w = rgb.shape[:2]
    return rgb[max(0, t - my):min(h, b + my), max(0, l - mx):min(w, r + mx)].copy()


def match_actor(emb: np.ndarray, actors: list[tuple[int, np.ndarray]], threshold: float = SAME_PERSON) -> int | None:
    """The id of the known actor nearest to ``emb`` within ``threshold``, else None (a new actor)."""
    best, best_d = None, threshold
    for actor_id, mean in actors:
        d = float(np.linalg.norm(np.asarray(mean, np.float32) - emb))
        if d < best_d:
            best, best_d = actor_id, d
    return best
