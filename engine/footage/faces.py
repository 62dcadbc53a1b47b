"""Who is in a shot and how it is framed: the faces engine's tracks through the shot, grouped into people
by identity embedding, and matched across the library into actors."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.faces.track import TrackConfig, track_video
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


def shot_faces(path: Path, start: float, end: float, config: FramingConfig = FramingConfig(),
               track: TrackConfig = TrackConfig()) -> tuple[ShotFace, ...]:
    """The people in a shot, largest first: the faces engine's tracks through the shot, grouped by identity.
    A person seen in too few of its frames (a stray detection) is left out."""
    seen = track_video(Path(path), start_s=start, end_s=end, config=track)
    need = max(track.min_frames, int(0.1 * seen.frame_count))
    people = []
    for ident in seen.identities:
        if ident.frames < need or ident.face_height < config.min_face_px:
            continue
        tracks = seen.tracks_of(ident.id)
        best = max(tracks, key=lambda t: t.face_height)
        k = len(best.frames) // 2
        x0, y0 = best.landmarks[k].min(axis=0)
        x1, y1 = best.landmarks[k].max(axis=0)
        people.append((ident, (int(x0), int(y0), int(x1), int(y1)), int(best.frames[k])))
    people.sort(key=lambda p: -p[0].face_height)
    crops = _crops(Path(path), seen.fps, people)
    return tuple(ShotFace(ident.embedding.astype(np.float32), round(ident.face_height / max(1, seen.height), 3), box,
                          ident.frames, crop) for (ident, box, _), crop in zip(people, crops))


def _crops(path: Path, fps: float, people: list) -> list[np.ndarray | None]:
    """A face crop of each person, from the middle of their largest track."""
    from engine.footage.shots import frames_at

    frames = dict(frames_at(path, [frame / fps for _, _, frame in people])) if people else {}
    return [_crop(frames[frame / fps], box) if frame / fps in frames else None for _, box, frame in people]


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
