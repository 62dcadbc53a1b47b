"""A cast member onto a clip, end to end: their face set (cached by the content of their photos and
videos), the member that makes their face (the geometric one, or a trained ensemble cached per
cast member and actor), the swap, and its score. Used by ``bot.py swap`` and the pipeline's swap stage.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import FaceError
from engine.faces.advice import pose_tip
from engine.faces.align import ALIGN_SIZE, align
from engine.faces.extract import build_faceset
from engine.faces.faceset import FaceSet
from engine.faces.models._base import Member
from engine.faces.models.geometric import GeometricMember
from engine.faces.swap import SwapOptions, SwapResult, choose_actor, swap_clip
from engine.faces.track import VideoFaces, track_video
from engine.faces.video import read_frames
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)

PRESETS = ("geometric", "tiny", "small", "large", "zoneout")


@dataclass(frozen=True)
class CastSwapRequest:
    name: str  # the cast member, as credited
    media: tuple[Path, ...]  # their photos / videos (consented)
    clip: Path
    out: Path
    cache: Path  # face sets and trained models live here, reused by later swaps
    preset: str = "geometric"  # geometric (no training) | tiny | small | large | zoneout (learned ensembles)
    members: int | None = None  # ensemble size (learned presets); None = the preset's own
    device: str = "auto"
    options: SwapOptions = SwapOptions()
    minutes: float | None = None  # training budget for the learned members not yet trained (None = their steps)


FACESET_FORMAT = "v2"  # bumped when extraction changes what a face set holds (v2: one person, the one seen most)


def media_key(paths) -> str:
    h = hashlib.sha256()
    for p in sorted(map(Path, paths)):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def cast_faceset(name: str, media, cache: Path, on_progress: ProgressFn = null_progress) -> tuple[FaceSet, list[str]]:
    """The cast member's face set, built once per set of files and cached."""
    media = [Path(p) for p in media if Path(p).is_file()]
    if not media:
        raise FaceError(f"cast member {name} has no photos or videos on file")
    path = Path(cache) / "facesets" / f"{FACESET_FORMAT}-{media_key(media)}.npz"
    if path.is_file():
        try:
            return FaceSet.load(path), []
        except (OSError, ValueError, KeyError):
            log.warning("face set cache %s unreadable; rebuilding", path)
    fs, notes = build_faceset(name, media, on_progress=on_progress)
    fs.save(path)
    return fs, notes


def actor_faceset(faces: VideoFaces, actor: int, limit: int = 400) -> FaceSet:
    """The actor's aligned faces from the clip (training data for the learned members)."""
    from engine.faces.landmarks import embedding

    tracks = faces.tracks_of(actor)
    frames = sorted(f for t in tracks for f in t.frames)
    keep = set(frames[:: max(1, len(frames) // limit)])
    crops, lms, embs, src = [], [], [], []
    for i, rgb in read_frames(Path(faces.path), faces.first_frame / faces.fps):
        if i in keep:
            lm = faces.landmarks_of(actor, i)
            a = align(rgb, lm, ALIGN_SIZE)
            crops.append(a.crop)
            lms.append(a.landmarks)
            if len(embs) < 8:
                embs.append(embedding(rgb, lm))
            src.append(f"{Path(faces.path).name}#{i}")
    if not crops:
        raise FaceError(f"actor {actor} has no usable face in {Path(faces.path).name}")
    emb = np.stack(embs)
    return FaceSet(f"actor-{actor}", np.stack(crops), np.stack(lms).astype(np.float32),
                   np.repeat(emb.mean(0, keepdims=True), len(crops), 0).astype(np.float32), src)


def member_for(request: CastSwapRequest, cast: FaceSet, faces: VideoFaces, actor: int,
               on_progress: ProgressFn = null_progress) -> Member:
    """The model that makes the cast member's face for this actor."""
    if request.preset not in PRESETS:
        raise FaceError(f"unknown face preset {request.preset!r}; choose one of {', '.join(PRESETS)}")
    geometric = GeometricMember(cast)
    if request.preset == "geometric":
        return geometric
    try:
        from engine.faces.ensemble import ensemble_for
    except ImportError:
        raise FaceError(f"the learned face models ({request.preset}) are not available in this build; "
                        "use --preset geometric") from None
    ident = next(i for i in faces.identities if i.id == actor)
    key = hashlib.sha256(cast.mean_embedding.round(3).tobytes() + ident.embedding.round(3).tobytes()).hexdigest()[:16]
    return ensemble_for(geometric, cast, actor_faceset(faces, actor), request.preset, request.members,
                        Path(request.cache) / "models" / key, request.device, on_progress, request.minutes)


def swap_cast_member(request: CastSwapRequest, on_progress: ProgressFn = null_progress) -> tuple[SwapResult, FaceSet, list[str]]:
    """Swap the cast member onto the clip's actor; returns the result, their face set and notes."""
    def stage(lo: float, hi: float) -> ProgressFn:
        return lambda p: on_progress(Progress("swap", lo + (hi - lo) * p.fraction, p.message, None))

    cast, notes = cast_faceset(request.name, request.media, request.cache, stage(0.0, 0.1))
    o = request.options
    faces = track_video(request.clip, o.start_s, o.end_s, o.track, stage(0.1, 0.3))
    actor = choose_actor(faces, o.actor)
    tip = pose_tip(cast.landmarks, faces.all_landmarks_of(actor))
    notes = notes + [tip] if tip else notes
    member = member_for(request, cast, faces, actor, stage(0.3, 0.5))
    result = swap_clip(request.clip, member, request.out, o, stage(0.5, 1.0), faces=faces)
    return result, cast, notes
