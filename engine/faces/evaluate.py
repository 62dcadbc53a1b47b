"""How good is a swap? Measured with dlib alone, as shared/notes/faces-calibration.md did:

- identity: share of swapped frames whose face embedding is closer to the cast member than to the
  source actor, and share within 0.6 (dlib's same-person threshold) of the cast member;
- expression: correlation of mouth opening (inner-lip gap / face height) between source and swapped frames;
- jitter: frame-to-frame landmark shake of the swapped face over the source's (1.0 = as steady);
- flicker: the same for the face's pixels, with no landmark predictor in between (its reading noise on a
  generated face is not the same as on the source's, and is no shake a viewer sees).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.faces.align import MIRROR, mouth_opening
from engine.faces.edges import follow_box, lm_bbox
from engine.faces.landmarks import (WIDE_NUDGES, box_from_landmarks, detect_boxes, detect_near, distance, embedding,
                                    shape_robust)
from engine.faces.smooth import jitter
from engine.faces.track import Track, VideoFaces
from engine.faces.video import read_frames


@dataclass
class SwapScore:
    frames: int  # frames compared
    identity_closer: float  # share closer to the cast member than to the actor
    identity_within: float  # share within 0.6 of the cast member
    median_distance: float  # to the cast member
    mouth_correlation: float
    jitter_ratio: float  # swapped shake / source shake
    mouth_floor: float  # the untouched source measured from a box 3% to the side: what this measure can resolve
    flicker_ratio: float = float("nan")  # swapped face's pixel flicker / the source's (1.0 = as steady)
    # mouth_correlation over the frames where the mouth is in view (None when no frames were said to be covered)
    mouth_in_view: float | None = None

    def as_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items() if v is not None}


def _corr(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or a.std() < 1e-6 or b.std() < 1e-6:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _detected_box(rgb, lm) -> tuple[int, int, int, int] | None:
    """The whole-frame detector's box for the face nearest these landmarks, if it finds that face."""
    cx, cy = lm.mean(0)
    for box, _ in detect_boxes(rgb):
        if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
            return box
    return None


def _searched_box(rgb, lm) -> tuple[int, int, int, int]:
    """The detector's box from a search around these landmarks, else one drawn around them."""
    drawn = box_from_landmarks(lm)
    return detect_near(rgb, drawn) or drawn


def _near_box(rgb, lm) -> tuple[int, int, int, int]:
    """The detector's box for the face nearest these landmarks (from the whole frame, else from a search
    around them), else one drawn around them."""
    return _detected_box(rgb, lm) or _searched_box(rgb, lm)


def measuring_boxes(source: VideoFaces, actor: int, frames: set[int]) -> dict[int, tuple[int, int, int, int]]:
    """The box each of these frames' faces is read from, both in the source and in the swap: the detector's
    own where the whole-frame pass finds the face; where it misses (a turned head), the box it gave on the
    nearest frame of the same track, moved with the track's landmarks (as the tracker follows a face). A
    box drawn round the landmarks instead, or found at another scale, sits lower on a turned face than the
    detector's: on the Tears of Steel close-up the predictor then put the mouth on the chin (12-21 px off)
    on 7 of the 24 frames checked, in the source and the swap alike, and the mouth's correlation was noise."""
    found: dict[int, tuple] = {}
    last = max(frames, default=-1)
    for i, rgb in read_frames(Path(source.path), source.first_frame / source.fps):
        if i > last:
            break
        lm = source.landmarks_of(actor, i) if i in frames else None
        if lm is not None:
            found[i] = (rgb.shape, lm, _detected_box(rgb, lm))
    boxes = {}
    for t in source.tracks_of(actor):
        mine = [int(f) for f in t.frames if int(f) in found]
        hits = [f for f in mine if found[f][2] is not None]
        for f in mine:
            shape, lm, box = found[f]
            if box is None and hits:
                near = min(hits, key=lambda h: abs(h - f))
                offset = np.array(found[near][2], np.float32) - lm_bbox(found[near][1])
                box = follow_box(lm, offset, shape[1], shape[0])
            if box is not None:  # else the caller searches that frame (``_searched_box``)
                boxes[f] = box
    return boxes


def score_swap(source: VideoFaces, actor: int, swapped: Path, cast_embedding: np.ndarray, every: int = 3,
               limit: int = 80, jitter_frames: int = 96, covered: frozenset[int] = frozenset()) -> SwapScore:
    """Compare the swapped clip with its source, frame by frame: each sampled face is measured from
    scratch in both (the same detector box for both, so shake is compared fairly; landmarks as the median
    over 25 nudged boxes, since one box's lips can be noise on a turned face). ``mouth_floor`` says how well
    the source agrees with itself measured from a slightly different box: a swap cannot score above it.
    ``covered``: frames (of the clip) where something stands in front of the actor's mouth, whose opening the
    predictor can only guess, in the source and the swap alike; ``mouth_in_view`` leaves them out."""
    tracks: list[Track] = source.tracks_of(actor)
    actor_emb = next(i.embedding for i in source.identities if i.id == actor)
    sampled = set(sorted(f for t in tracks for f in t.frames[::every])[:limit])
    longest = max(tracks, key=lambda t: len(t.frames))
    run = set(longest.frames[:jitter_frames].tolist())
    src_mouth, out_mouth, floor_mouth, closer, within, dists, src_pts, out_pts = [], [], [], [], [], [], [], []
    in_view = []
    flicker = _Flicker()
    start_s = source.first_frame / source.fps
    boxes = measuring_boxes(source, actor, sampled | run)
    for (i, src), (_, out) in zip(read_frames(Path(source.path), start_s), read_frames(swapped)):
        if i not in sampled and i not in run:
            continue
        lm = longest.at(i) if i in run else source.landmarks_of(actor, i)
        box = boxes.get(i) or _searched_box(src, lm)
        lm_src, lm_out = shape_robust(src, box, WIDE_NUDGES), shape_robust(out, box, WIDE_NUDGES)
        if i in run:
            src_pts.append(lm_src)
            out_pts.append(lm_out)
            flicker.add(i, src, out, lm)
        if i in sampled:
            emb = embedding(out, lm_out)
            d_cast, d_actor = distance(emb, cast_embedding), distance(emb, actor_emb)
            closer.append(d_cast < d_actor)
            within.append(d_cast < 0.6)
            dists.append(d_cast)
            in_view.append(i not in covered)
            src_mouth.append(mouth_opening(lm_src))
            out_mouth.append(mouth_opening(lm_out))
            shift = 0.03 * (box[2] - box[0])
            floor_mouth.append(mouth_opening(shape_robust(src, (box[0] + shift, box[1], box[2] + shift, box[3]),
                                                          WIDE_NUDGES)))
    j_src, j_out = jitter(np.array(src_pts)), jitter(np.array(out_pts))
    seen = np.array(in_view, bool)
    return SwapScore(len(closer), float(np.mean(closer)) if closer else 0.0, float(np.mean(within)) if within else 0.0,
                     float(np.median(dists)) if dists else float("nan"), _corr(src_mouth, out_mouth),
                     j_out / j_src if j_src > 0 else float("nan"), _corr(src_mouth, floor_mouth), flicker.ratio(),
                     _corr(np.array(src_mouth)[seen], np.array(out_mouth)[seen]) if covered else None)


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


class _Flicker:
    """Pixel flicker of a face, swapped and source: the mean absolute second difference over time of the grey
    pixels in the face's box (what shakes or flashes, with steady motion taken out), over consecutive frames."""

    def __init__(self) -> None:
        self.window: list[tuple[int, np.ndarray, np.ndarray, tuple[int, int, int, int]]] = []
        self.src = self.out = 0.0

    def add(self, i: int, src: np.ndarray, out: np.ndarray, lm: np.ndarray) -> None:
        box = tuple(int(v) for v in (lm[:, 0].min(), lm[:, 1].min(), lm[:, 0].max() + 1, lm[:, 1].max() + 1))
        if self.window and self.window[-1][0] != i - 1:
            self.window = []
        self.window = (self.window + [(i, _grey(src), _grey(out), box)])[-3:]
        if len(self.window) < 3:
            return
        x0, y0, x1, y1 = self.window[1][3]
        x0, y0 = max(0, x0), max(0, y0)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        (_, s0, o0, _), (_, s1, o1, _), (_, s2, o2, _) = self.window
        box_of = np.s_[y0:y1, x0:x1]
        self.src += float(np.abs(s2[box_of] - 2 * s1[box_of] + s0[box_of]).mean())
        self.out += float(np.abs(o2[box_of] - 2 * o1[box_of] + o0[box_of]).mean())

    def ratio(self) -> float:
        return self.out / self.src if self.src > 0 else float("nan")


def _mirrored_shape(rgb, box) -> np.ndarray:
    """The landmarks read from the picture flipped left to right, flipped back: a second, independent reading."""
    w = rgb.shape[1]
    flipped = np.ascontiguousarray(rgb[:, ::-1])
    lm = shape_robust(flipped, (w - 1 - box[2], box[1], w - 1 - box[0], box[3]), WIDE_NUDGES)[MIRROR].copy()
    lm[:, 0] = w - 1 - lm[:, 0]
    return lm


def mouth_readings(source: VideoFaces, actor: int, every: int = 1, limit: int = 240) -> dict[int, tuple[float, float]]:
    """Two readings of the untouched source's mouth opening per frame: the picture as it is, and mirrored
    (dlib's predictor is not symmetric, so its errors differ). See ``mouth_agreement``."""
    frames = set(sorted(f for t in source.tracks_of(actor) for f in t.frames[::every])[:limit])
    readings = {}
    boxes = measuring_boxes(source, actor, frames)
    for i, rgb in read_frames(Path(source.path), source.first_frame / source.fps):
        if i not in frames:
            continue
        box = boxes.get(i) or _searched_box(rgb, source.landmarks_of(actor, i))
        readings[i] = (mouth_opening(shape_robust(rgb, box, WIDE_NUDGES)), mouth_opening(_mirrored_shape(rgb, box)))
    return readings


def agreement(readings: dict[int, tuple[float, float]], covered: frozenset[int] = frozenset()) -> float:
    """r between the two readings (``mouth_readings``), leaving out the ``covered`` frames."""
    kept = [pair for i, pair in readings.items() if i not in covered]
    return _corr([a for a, _ in kept], [b for _, b in kept])


def mouth_agreement(source: VideoFaces, actor: int, every: int = 1, limit: int = 240,
                    covered: frozenset[int] = frozenset()) -> float:
    """How well two readings of the untouched source agree on the mouth's opening (r): the picture as it is,
    and mirrored (dlib's predictor is not symmetric, so its errors differ). A swapped face is read by the same
    predictor with errors of its own, so on a clip where this is low no swap can score much above it: on the
    blurred, turned Tears of Steel close-up it is about 0.78 (the floor above, read twice the same way, says 0.86),
    and 0.50 over the frames where his mouth is in view (``covered``: frames left out, see ``score_swap``)."""
    return agreement(mouth_readings(source, actor, every, limit), covered)


def mouth_against_sharp(source: VideoFaces, actor: int, swapped: Path, sharp: Path, every: int = 1,
                        limit: int = 240) -> float:
    """Correlation of the swapped clip's mouth opening with the truth: ``source`` is a small, soft copy of
    ``sharp`` (same frames, scaled down), and on the sharp original the predictor reads the mouth reliably
    (two readings agree at 0.99 on the addresses). Against the copy itself, the predictor's errors on the
    small face are on both sides of the comparison; here only on the swap's."""
    frames = set(sorted(f for t in source.tracks_of(actor) for f in t.frames[::every])[:limit])
    start_s = source.first_frame / source.fps
    out_mouth, true_mouth = [], []
    boxes = measuring_boxes(source, actor, frames)
    for (i, src), (_, out), (_, big) in zip(read_frames(Path(source.path), start_s), read_frames(swapped),
                                           read_frames(Path(sharp), start_s)):
        if i not in frames:
            continue
        box = boxes.get(i) or _searched_box(src, source.landmarks_of(actor, i))
        k = big.shape[1] / src.shape[1]
        out_mouth.append(mouth_opening(shape_robust(out, box, WIDE_NUDGES)))
        true_mouth.append(mouth_opening(shape_robust(big, tuple(int(round(v * k)) for v in box), WIDE_NUDGES)))
    return _corr(out_mouth, true_mouth)
