"""What a production needs (ProductionPlan) and what it gives back (FilmResult)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.brief import Brief
from engine.footage.model import Library


@dataclass(frozen=True)
class CastMember:
    name: str  # as credited, e.g. "Ada Lovelace"
    photos: tuple[Path, ...] = ()  # face photos the person consented to
    voice: str | None = None  # a voice preset they chose (engine.voice.PRESETS), else a default


@dataclass(frozen=True)
class ProductionPlan:
    brief: Brief
    fountain: str  # the chosen take's Fountain text
    members: tuple[CastMember, ...] = ()  # consenting people to assign round robin
    cast: dict[str, CastMember] = field(default_factory=dict)  # explicit character -> member (wins)
    footage: tuple[Path, ...] = ()  # footage clips laid in order behind the lines (no library: unplanned)
    library: Library | None = None  # a footage library to cast and plan the film from (wins over footage)
    max_mb: float = 10.0  # the film must fit in this many MiB
    size: tuple[int, int] = (640, 360)  # frame (width, height)
    fps: int = 24
    note: str | None = None  # the credits' AI-made note; None = the renderer's standard one
    faces_dir: Path | None = None  # face sets and trained swap models, shared by films (None: in the job)
    face_preset: str = "auto"  # auto (learned on CUDA, geometric on CPU) | geometric | tiny | small | large
    device: str = "cpu"


@dataclass(frozen=True)
class FilmResult:
    path: Path
    duration_s: float
    size_bytes: int
    poster: Path | None
    contact_sheet: Path | None
    stages_s: dict[str, float]  # seconds each stage took in this run (0.0 when skipped as done)
    width: int = 0
    height: int = 0
    has_audio: bool = False
    credits: tuple[str, ...] = ()  # the credits as plain text lines, for a post beside the film
    # what the cast should know: a photo that would swap better, photos the swap could not use (their actor then
    # kept his own face), one line each, with the cast member's name first
    notes: tuple[str, ...] = ()
