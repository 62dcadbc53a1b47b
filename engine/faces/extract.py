"""Face sets from what a person sent: photos (each must show their face) or short videos of themselves
(many aligned faces, one every few frames, the largest face in each)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine.errors import FaceError
from engine.faces.align import align
from engine.faces.detect import load_rgb
from engine.faces.faceset import FaceSet
from engine.faces.landmarks import Face, embedding, eyes_doubt, find_faces, find_faces_in_photo, group_by_identity
from engine.faces.quality import QualityConfig, measure
from engine.faces.still import VIDEO_EXTS
from engine.faces.video import clip_info, read_frames
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)


def _largest(faces: list[Face], name: str, notes: list[str]) -> Face | None:
    if not faces:
        return None
    if len(faces) > 1:
        notes.append(f"{name}: {len(faces)} faces, using the largest")
    return faces[0]


def face_problems(rgb: np.ndarray, face: Face, quality: QualityConfig = QualityConfig(),
                  crop: np.ndarray | None = None) -> list[str]:
    """Why this face cannot be learned from or animated (none: it can): too small, blurred, turned too far, or
    eyes the two landmark models place apart (``landmarks.eyes_doubt``: a face aligned on the wrong eyes puts
    everything else in the wrong place). ``crop``: its aligned crop, when the caller has it."""
    crop = align(rgb, face.landmarks).crop if crop is None else crop
    problems = measure(face.landmarks, crop).problems(quality)
    if not problems and eyes_doubt(rgb, face) > quality.max_eyes_doubt:
        problems.append("its eyes cannot be placed surely (hair, a helmet's edge or glasses' frames near them)")
    return problems


def _add(rgb, face: Face, label: str, out: dict, quality: QualityConfig, notes: list[str]) -> bool:
    a = align(rgb, face.landmarks)
    problems = face_problems(rgb, face, quality, a.crop)
    if problems:
        notes.append(f"{label}: {'; '.join(problems)}")
        return False
    out["faces"].append(a.crop)
    out["landmarks"].append(a.landmarks)
    out["embeddings"].append(embedding(rgb, face.landmarks))
    out["sources"].append(label)
    return True


def build_faceset(name: str, paths: list[Path], max_per_video: int = 120, quality: QualityConfig = QualityConfig(),
                  on_progress: ProgressFn = null_progress) -> tuple[FaceSet, list[str]]:
    """The person's face set and notes on what was skipped and why. FaceError when no usable face."""
    out = {"faces": [], "landmarks": [], "embeddings": [], "sources": []}
    notes: list[str] = []
    for n, path in enumerate(map(Path, paths)):
        on_progress(Progress("faces", n / max(1, len(paths)), f"reading {path.name}"))
        try:
            if path.suffix.lower() in VIDEO_EXTS:
                _from_video(path, out, max_per_video, quality, notes)
            else:
                rgb = load_rgb(path)
                face = _largest(find_faces_in_photo(rgb), path.name, notes)
                if face is None:
                    notes.append(f"{path.name}: no face found")
                else:
                    _add(rgb, face, path.name, out, quality, notes)
        except FaceError as e:
            notes.append(str(e))
    if not out["faces"]:
        raise FaceError(f"no usable face of {name} in {len(paths)} file(s): " + "; ".join(notes[:5]))
    fs = FaceSet(name, np.stack(out["faces"]), np.stack(out["landmarks"]).astype(np.float32),
                 np.stack(out["embeddings"]).astype(np.float32), out["sources"])
    _drop_strangers(fs, notes)
    log.info("face set of %s: %d faces (%d notes)", name, len(fs), len(notes))
    return fs, notes


def _from_video(path: Path, out: dict, limit: int, quality: QualityConfig, notes: list[str]) -> None:
    info = clip_info(path)
    step = max(1, int(info.frames / max(1, limit))) if info.frames else 3
    found = 0
    for i, rgb in read_frames(path):
        if i % step or found >= limit:
            continue
        faces = find_faces(rgb)
        if faces and _add(rgb, faces[0], f"{path.name}#{i}", out, quality, []):
            found += 1
    if not found:
        notes.append(f"{path.name}: no usable face in the video")


def _drop_strangers(fs: FaceSet, notes: list[str], same_person: float = 0.5) -> None:
    """Keep one person: the faces are grouped by identity (greedily, each joining the nearest group whose
    mean is within ``same_person``) and the group seen most is the set; the rest (a friend in a selfie
    video, someone in the background) are dropped and the notes say so."""
    if len(fs) < 2:
        return
    groups = group_by_identity(fs.embeddings, same_person)
    if len(groups) == 1:
        return
    main = max(groups, key=len)
    keep = np.zeros(len(fs), bool)
    keep[main] = True
    others = len(groups) - 1
    notes.append(f"{int((~keep).sum())} face(s) of {others} other {'person' if others == 1 else 'people'} were "
                 f"left out: the set is the person seen most ({len(main)} face(s))")
    fs.faces, fs.landmarks, fs.embeddings = fs.faces[keep], fs.landmarks[keep], fs.embeddings[keep]
    fs.sources = [s for s, k in zip(fs.sources, keep) if k]
