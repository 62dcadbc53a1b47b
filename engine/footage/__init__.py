"""Footage: a library of clips cut into shots, the people in them, and films planned from it.

    clip = ingest_clip(path, thumbs_dir)                # probe, shots, faces, framing, thumbnails
    plan = engine.footage.plan.plan_film(screenplay, library, durations, members=...)   # shot list, plain data

Discord-free and storage-free: dataclasses in, dataclasses out.
"""
from engine.footage.faces import SAME_PERSON, framing, match_actor, shot_faces
from engine.footage.ingest import ClipIngest, IngestConfig, analyse_shot, analyse_shots, ingest_clip, write_image
from engine.footage.model import (
    FRAMINGS, ClipInfo, Library, LibraryActor, LibraryClip, LibraryShot, ShotAnalysis, ShotFace,
)
from engine.footage.probe import MAX_CLIP_BYTES, check_size, content_hash, probe_clip
from engine.footage.shots import ShotConfig, detect_shots, shots_from_cuts

__all__ = [
    "SAME_PERSON", "framing", "match_actor", "shot_faces", "ClipIngest", "IngestConfig", "analyse_shot",
    "analyse_shots", "ingest_clip", "write_image", "FRAMINGS", "ClipInfo", "Library", "LibraryActor",
    "LibraryClip", "LibraryShot", "ShotAnalysis", "ShotFace", "MAX_CLIP_BYTES", "check_size", "content_hash",
    "probe_clip", "ShotConfig", "detect_shots", "shots_from_cuts",
]
