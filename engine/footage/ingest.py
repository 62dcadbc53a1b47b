"""Ingest of one clip: probe, shots, then per shot the people in it, its framing and a thumbnail.

The steps are separate so a caller that keeps an index (storage) can record the shot list first and
each shot as it is analysed, and resume an interrupted ingest from the first shot it lacks:

    info = probe_clip(path)
    spans = detect_shots(info)
    for shot in analyse_shots(info, spans, thumbs_dir, done={0, 1}):
        ...  # record it
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from engine.faces.track import TrackConfig
from engine.footage.faces import FramingConfig, framing, shot_faces
from engine.footage.model import ClipInfo, ShotAnalysis
from engine.footage.probe import probe_clip
from engine.footage.shots import ShotConfig, detect_shots, frames_at
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)
THUMB_WIDTH = 192


@dataclass(frozen=True)
class IngestConfig:
    shots: ShotConfig = field(default_factory=ShotConfig)
    framing: FramingConfig = field(default_factory=FramingConfig)
    # full face detection every 8th frame (the tracker follows landmarks between): about 3x faster than every
    # 4th, and a shot's people and sizes are what ingest needs, not every frame's box; nor its lips, so one
    # landmark pass per face (the swap tracks its shots again with the steadier median landmarks)
    track: TrackConfig = field(default_factory=lambda: TrackConfig(detect_every=8, robust=False))


@dataclass(frozen=True)
class ClipIngest:
    info: ClipInfo
    shots: tuple[ShotAnalysis, ...]


def write_image(path: Path, rgb: np.ndarray, width: int | None = THUMB_WIDTH) -> Path:
    """An RGB array as a JPEG (scaled to ``width``), written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if width and rgb.shape[1] > width:
        rgb = cv2.resize(rgb, (width, max(1, round(rgb.shape[0] * width / rgb.shape[1]))),
                         interpolation=cv2.INTER_AREA)
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    if not cv2.imwrite(str(tmp), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")
    tmp.replace(path)
    return path


def analyse_shot(info: ClipInfo, index: int, start: float, end: float, thumbs_dir: Path | None,
                 config: IngestConfig = IngestConfig()) -> ShotAnalysis:
    """The people in one shot, its framing and (when ``thumbs_dir`` is given) a thumbnail of its middle."""
    faces = shot_faces(info.path, start, end, config.framing, config.track)
    thumb = None
    middle = list(frames_at(info.path, [round((start + end) / 2, 3)])) if thumbs_dir is not None else []
    if middle:
        thumb = write_image(Path(thumbs_dir) / f"{info.hash[:16] or info.path.stem}_{index:03d}.jpg", middle[0][1])
    return ShotAnalysis(index, start, end, framing(faces, config.framing), faces, thumb)


def analyse_shots(info: ClipInfo, spans: list[tuple[float, float]], thumbs_dir: Path | None,
                  done: frozenset[int] | set[int] = frozenset(), config: IngestConfig = IngestConfig(),
                  on_progress: ProgressFn = null_progress) -> Iterator[ShotAnalysis]:
    """Each shot not in ``done`` analysed, in order (a generator: record each before the next)."""
    for index, (start, end) in enumerate(spans):
        on_progress(Progress("footage", index / max(1, len(spans)), f"{info.path.name}: shot {index + 1}/{len(spans)}"))
        if index in done:
            continue
        shot = analyse_shot(info, index, start, end, thumbs_dir, config)
        log.debug("%s shot %d %.2f-%.2fs: %s, %d face(s)", info.path.name, index, start, end, shot.framing,
                  len(shot.faces))
        yield shot


def ingest_clip(path: Path, thumbs_dir: Path | None = None, config: IngestConfig = IngestConfig(),
                on_progress: ProgressFn = null_progress) -> ClipIngest:
    """A whole clip in one call (no index kept): probe, shots and each shot's people."""
    info = probe_clip(Path(path))
    spans = detect_shots(info, config.shots)
    return ClipIngest(info, tuple(analyse_shots(info, spans, thumbs_dir, config=config, on_progress=on_progress)))
