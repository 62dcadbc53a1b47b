"""Shots of a clip (PySceneDetect's ContentDetector), and frames read at given times."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from scenedetect import ContentDetector, detect

from engine.errors import FootageError
from engine.footage.model import ClipInfo

log = logging.getLogger(__name__)
logging.getLogger("pyscenedetect").setLevel(logging.WARNING)  # its import sets INFO: one line per clip, unasked


@dataclass(frozen=True)
class ShotConfig:
    threshold: float = 27.0  # ContentDetector's cut threshold (its default)
    min_shot_s: float = 0.5  # a shorter shot is merged into the one before it


def detect_shots(info: ClipInfo, config: ShotConfig = ShotConfig()) -> list[tuple[float, float]]:
    """(start, end) seconds of each shot, in order, covering the clip; a clip without cuts is one shot."""
    try:
        scenes = detect(str(info.path), ContentDetector(threshold=config.threshold,
                                                        min_scene_len=max(1, int(config.min_shot_s * info.fps))))
    except Exception as e:  # a stream that decodes in ffmpeg's probe but not frame by frame
        raise FootageError(f"{info.path.name}: its frames cannot be decoded ({e})") from None
    cuts = [round(float(b.seconds if hasattr(b, "seconds") else b.get_seconds()), 3) for _, b in scenes][:-1]
    return shots_from_cuts(cuts, info.duration, config.min_shot_s)


def shots_from_cuts(cuts: list[float], duration: float, min_shot_s: float = 0.5) -> list[tuple[float, float]]:
    """Cut times -> (start, end) spans covering [0, duration]; spans under ``min_shot_s`` join the previous."""
    edges = [0.0] + sorted(c for c in cuts if 0.0 < c < duration) + [round(duration, 3)]
    spans: list[list[float]] = []
    for a, b in zip(edges, edges[1:]):
        if spans and (b - a < min_shot_s or spans[-1][1] - spans[-1][0] < min_shot_s):
            spans[-1][1] = b
        else:
            spans.append([a, b])
    return [(round(a, 3), round(b, 3)) for a, b in spans if b - a > 0]


def frames_at(path: Path, times: list[float]) -> Iterator[tuple[float, np.ndarray]]:
    """(time, RGB frame) at each time, as the clip is shown (rotation applied); unreadable times are skipped."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FootageError(f"{Path(path).name}: the video cannot be opened")
    try:
        for t in times:
            cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
            ok, frame = cap.read()
            if ok and frame is not None:
                yield t, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            else:
                log.debug("%s: no frame at %.2fs", Path(path).name, t)
    finally:
        cap.release()
