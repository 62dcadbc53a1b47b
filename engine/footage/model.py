"""The footage library as plain data: what ingest finds in a clip, and what planning reads.

Ingest gives ``ClipInfo`` (probe), then one ``ShotAnalysis`` per shot (faces found in it, framing,
thumbnail). Planning reads a ``Library`` (clips, shots, actors with ids, as storage keeps them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FRAMINGS = ("closeup", "two-shot", "wide", "none")


@dataclass(frozen=True)
class ClipInfo:
    path: Path
    hash: str  # sha256 of the file's bytes: the same clip added twice is skipped
    size_bytes: int
    duration: float  # seconds
    fps: float  # average frame rate
    variable_fps: bool  # the stream's frame rate varies (timestamps, not frame counts, are trusted)
    width: int  # as displayed, after rotation
    height: int
    rotation: int  # degrees the player turns the stored frames (0, 90, 180, 270)
    has_audio: bool


@dataclass(frozen=True)
class ShotFace:
    """One person seen in a shot: the mean identity embedding of their tracked faces."""
    embedding: np.ndarray  # (128,) float32
    height_ratio: float  # largest face height / frame height in the shot
    box: tuple[int, int, int, int]  # the largest sighting, frame pixels (left, top, right, bottom)
    frames: int  # frames the person is on screen in the shot
    crop: np.ndarray | None = field(default=None, compare=False, repr=False)  # RGB face crop for a thumbnail


@dataclass(frozen=True)
class ShotAnalysis:
    index: int  # 0-based within the clip
    start: float
    end: float
    framing: str  # one of FRAMINGS
    faces: tuple[ShotFace, ...]
    thumbnail: Path | None = None


@dataclass(frozen=True)
class LibraryClip:
    id: int
    path: Path
    name: str
    credit: str = ""
    licence: str = ""
    duration: float = 0.0

    def credit_line(self) -> str:
        """How the film's credits print this clip: its credit and licence, else its name."""
        credit = self.credit.strip() or self.name
        if self.licence.strip() and self.licence.strip().casefold() not in credit.casefold():
            return f"{credit}, {self.licence.strip()}"
        return credit


@dataclass(frozen=True)
class LibraryShot:
    id: int
    clip: int  # LibraryClip.id
    start: float
    end: float
    framing: str  # one of FRAMINGS
    actors: tuple[int, ...] = ()  # LibraryActor ids visible, largest face first

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)


@dataclass(frozen=True)
class LibraryActor:
    id: int
    name: str  # e.g. "Actor 3"
    embedding: tuple[float, ...] = field(default=(), compare=False, repr=False)  # mean 128-d identity


@dataclass(frozen=True)
class Library:
    clips: tuple[LibraryClip, ...] = ()
    shots: tuple[LibraryShot, ...] = ()
    actors: tuple[LibraryActor, ...] = ()

    def clip(self, clip_id: int) -> LibraryClip:
        return next(c for c in self.clips if c.id == clip_id)

    def actor_name(self, actor_id: int | None) -> str:
        return next((a.name for a in self.actors if a.id == actor_id), "")

    def __bool__(self) -> bool:
        return bool(self.shots)
