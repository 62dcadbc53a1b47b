"""Faces through a clip: detect every few frames, follow each face's landmarks in between, join
detections into tracks (box overlap, then embedding), smooth each track's landmarks (One-Euro) and
cluster tracks into identities: the actors of the clip.

    faces = track_video(path)                 # VideoFaces
    actor = faces.main_identity()             # the most-seen face
    lm = faces.tracks[0].at(frame_index)      # (68, 2) smoothed landmarks, or None
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from engine.errors import Cancelled, FaceError
from engine.faces.edges import follow_box, lm_bbox, look_back, skin_chroma, still_there
from engine.faces.landmarks import (FindConfig, box_iou, detect_boxes, detect_near, distance, embedding,
                                    group_by_identity, shape_at, shape_robust)
from engine.faces.smooth import OneEuroConfig, smooth_track
from engine.faces.video import read_frames
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackConfig:
    find: FindConfig = FindConfig()
    detect_every: int = 4  # full detection every N frames while faces are followed (landmarks in between)
    search_every: int = 3  # ...and every N frames while no face is on screen
    refind: bool = True  # in between, look for each followed face near where it was (a cheap local detection)
    robust: bool = True  # landmarks as the median over nudged boxes (steadier lips on turned faces, ~7x the predictor)
    cut_threshold: float = 28.0  # mean grey change (0-255, thumbnails) that means a cut: tracks end there
    iou_match: float = 0.3  # a detection continues a track when their boxes overlap this much
    same_face: float = 0.55  # ...or when its embedding is this close to the track's
    # embed a track's face every N of its detection frames. At 8, a 27-frame track of the selfie video's woman in
    # orange was read from one poor frame, 0.56 from its own mean, and made a fourth actor of her; at 4, three
    # people are three actors (tracking 1% slower there, 13% on the group of five)
    embed_every: int = 4
    max_misses: int = 2  # detection passes a track may miss before it ends
    # at most this many frames followed past the last detection are kept up to a cut, and at most this many frames
    # apart two tracks of one person in one shot are joined (edges.py, ``bridge``)
    edge_frames: int = 8
    min_frames: int = 3  # shorter tracks are dropped (flickers of false detections)
    min_detections: int = 2  # a track the detector found only once is a false alarm (SORT's min hits)
    same_person: float = 0.5  # tracks whose mean embeddings are this close are one identity
    smooth: OneEuroConfig = OneEuroConfig()


@dataclass
class Track:
    id: int
    frames: np.ndarray  # (T,) frame indices, increasing
    landmarks: np.ndarray  # (T, 68, 2) float32, smoothed
    raw: np.ndarray  # (T, 68, 2) float32, as the predictor gave them
    embedding: np.ndarray  # (128,) mean identity embedding
    identity: int = -1

    def at(self, frame: int) -> np.ndarray | None:
        i = int(np.searchsorted(self.frames, frame))
        return self.landmarks[i] if i < len(self.frames) and self.frames[i] == frame else None

    @property
    def face_height(self) -> float:
        return float(np.median(self.landmarks[:, :, 1].max(1) - self.landmarks[:, :, 1].min(1)))


@dataclass
class Identity:
    id: int
    embedding: np.ndarray  # (128,) mean over its tracks
    tracks: list[int]
    frames: int  # frames on screen
    face_height: float  # median, pixels

    @property
    def presence(self) -> float:
        return self.frames * self.face_height


@dataclass
class VideoFaces:
    path: str
    fps: float
    width: int
    height: int
    first_frame: int
    frame_count: int  # frames read
    tracks: list[Track] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)

    def main_identity(self) -> Identity | None:
        return max(self.identities, key=lambda i: i.presence, default=None)

    def identity(self, ident: int) -> Identity:
        for i in self.identities:
            if i.id == ident:
                return i
        raise FaceError(f"there is no actor {ident} in {Path(self.path).name}; "
                        f"actors: {', '.join(str(i.id) for i in self.identities) or 'none'}")

    def window(self, start_s: float, end_s: float | None) -> "VideoFaces":
        """The faces of the clip's [start_s, end_s) only (a shot of a clip tracked whole)."""
        first = int(round(start_s * self.fps))
        last = self.first_frame + self.frame_count if end_s is None else int(round(end_s * self.fps))
        last = min(last, self.first_frame + self.frame_count)
        tracks = []
        for t in self.tracks:
            keep = (t.frames >= first) & (t.frames < last)
            if keep.sum() >= 1:
                tracks.append(Track(t.id, t.frames[keep], t.landmarks[keep], t.raw[keep], t.embedding, t.identity))
        idents = []
        for i in self.identities:
            mine = [t for t in tracks if t.identity == i.id]
            if mine:
                idents.append(Identity(i.id, i.embedding, [t.id for t in mine], sum(len(t.frames) for t in mine),
                                       i.face_height))
        return VideoFaces(self.path, self.fps, self.width, self.height, max(first, self.first_frame),
                          max(0, last - max(first, self.first_frame)), tracks, idents)

    def tracks_of(self, ident: int) -> list[Track]:
        return [t for t in self.tracks if t.identity == ident]

    def all_landmarks_of(self, ident: int) -> list[np.ndarray]:
        """The identity's (smoothed) landmarks in every frame it is tracked, track after track."""
        return [lm for t in self.tracks_of(ident) for lm in t.landmarks]

    def landmarks_of(self, ident: int, frame: int) -> np.ndarray | None:
        for t in self.tracks_of(ident):
            lm = t.at(frame)
            if lm is not None:
                return lm
        return None


@dataclass
class _Open:
    id: int
    frames: list[int] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    offset: np.ndarray = field(default_factory=lambda: np.zeros(4, np.float32))  # box minus landmark bbox
    misses: int = 0
    detections: int = 0
    seen: int = 0  # frames up to the last one the detector (full pass or the search near it) found the face in
    to_edge: bool = False  # followed up to a cut or the clip's end (not lost mid-shot)
    skin: np.ndarray | None = None  # its skin colour when last found (edges.skin_chroma)
    strayed: bool = False  # a frame followed since then did not look like that face


def _follow_box(track: _Open, w: int, h: int) -> tuple[int, int, int, int]:
    """Where the detector would put the box now: last landmarks' bbox plus the last detection's offset."""
    return follow_box(track.points[-1], track.offset, w, h)


class _Tracker:
    def __init__(self, config: TrackConfig) -> None:
        self.config = config
        self.open: list[_Open] = []
        self.closed: list[_Open] = []
        self.next_id = 0
        self.recent: list[tuple[int, np.ndarray]] = []  # the last few frames of this shot, oldest first
        self.shot_start: int | None = None

    def shape(self, rgb: np.ndarray, box) -> np.ndarray:
        return shape_robust(rgb, box) if self.config.robust else shape_at(rgb, box)

    def step(self, i: int, rgb: np.ndarray, detect: bool) -> None:
        self.shot_start = i if self.shot_start is None else self.shot_start
        self._step(i, rgb, detect)
        self.recent = (self.recent + [(i, rgb)])[-max(self.config.detect_every, self.config.search_every):]

    def _step(self, i: int, rgb: np.ndarray, detect: bool) -> None:
        h, w = rgb.shape[:2]
        if detect:
            self._detect(i, rgb)
        else:
            for t in self.open:
                box = _follow_box(t, w, h)
                if box[2] - box[0] < 8 or box[3] - box[1] < 8:
                    continue
                found = detect_near(rgb, box, self.config.find) if self.config.refind else None
                if found is not None:  # the detector's own box: the landmarks it gives are the steadiest
                    lm = self.shape(rgb, found)
                    t.offset = np.array(found, np.float32) - lm_bbox(lm)
                else:
                    lm = self.shape(rgb, box)
                self._add(t, i, rgb, lm, found is not None)

    def _detect(self, i: int, rgb: np.ndarray) -> None:
        cfg = self.config
        found = detect_boxes(rgb, cfg.find)
        h, w = rgb.shape[:2]
        predicted = {t.id: _follow_box(t, w, h) for t in self.open}
        taken: set[int] = set()
        matches: dict[int, tuple] = {}
        born: list[_Open] = []
        for box, score in found:  # largest first; each detection continues the best-overlapping track
            best = max(((t, box_iou(box, predicted[t.id])) for t in self.open if t.id not in taken),
                       key=lambda x: x[1], default=(None, 0.0))
            lm = self.shape(rgb, box)
            if best[0] is not None and best[1] >= cfg.iou_match:
                taken.add(best[0].id)
                matches[best[0].id] = (box, lm)
                continue
            emb = embedding(rgb, lm)
            near = min(((t, distance(emb, np.mean(t.embeddings, 0))) for t in self.open
                        if t.id not in taken and t.embeddings), key=lambda x: x[1], default=(None, 9.0))
            if near[0] is not None and near[1] < cfg.same_face:
                taken.add(near[0].id)
                matches[near[0].id] = (box, lm, emb)
                continue
            t = _Open(self.next_id)
            self.next_id += 1
            self.open.append(t)
            born.append(t)
            taken.add(t.id)
            matches[t.id] = (box, lm, emb)
        for t in list(self.open):
            m = matches.get(t.id) or self._refound(rgb, t, predicted[t.id], matches)
            if m is None:
                t.misses += 1
                if t.misses > cfg.max_misses:
                    self.open.remove(t)
                    self.closed.append(t)
                else:  # the detector blinked (blur, a turn): follow the landmarks through it
                    box = predicted[t.id]
                    if box[2] - box[0] >= 8 and box[3] - box[1] >= 8:
                        self._add(t, i, rgb, self.shape(rgb, box), False)
                continue
            box, lm = m[0], m[1]
            t.misses = 0
            t.box = box
            t.offset = np.array(box, np.float32) - lm_bbox(lm)
            self._add(t, i, rgb, lm, True)
            if len(m) > 2:
                t.embeddings.append(m[2])
            elif t.detections % cfg.embed_every == 0:
                t.embeddings.append(embedding(rgb, lm))
            t.detections += 1
        for t in born:
            self._look_back(t)

    @staticmethod
    def _add(t: _Open, i: int, rgb: np.ndarray, lm: np.ndarray, found: bool) -> None:
        """Frame ``i`` of track ``t``: its face found by the detector, or followed by its landmarks alone."""
        t.frames.append(i)
        t.points.append(lm)
        if found:
            t.seen, t.skin, t.strayed = len(t.frames), skin_chroma(rgb, lm), False
        elif not still_there(rgb, lm, t.points[t.seen - 1], t.skin):
            t.strayed = True

    def _look_back(self, t: _Open) -> None:
        """A face the detector has just found was often on screen a few frames before (see edges.py)."""
        find = (lambda rgb, box: detect_near(rgb, box, self.config.find)) if self.config.refind else (lambda *_: None)
        back = look_back(self.recent, self.shot_start, t.box, t.points[-1], t.skin, self.shape, find)
        t.frames = [j for j, _ in back] + t.frames
        t.points = [lm for _, lm in back] + t.points
        t.seen += len(back)

    def _refound(self, rgb: np.ndarray, track: _Open, box, matches: dict[int, tuple]) -> tuple | None:
        """A followed face the full-frame pass missed (its score dips below the threshold when a head tips
        back or looks down) but that a detection run around where it was still finds, and that is still the
        same person: it is there, not lost."""
        cfg = self.config
        if not cfg.refind or not track.embeddings or box[2] - box[0] < 8 or box[3] - box[1] < 8:
            return None
        found = detect_near(rgb, box, cfg.find)
        if found is None or any(box_iou(found, m[0]) >= cfg.iou_match for m in matches.values()):
            return None
        lm = self.shape(rgb, found)
        emb = embedding(rgb, lm)
        if distance(emb, np.mean(track.embeddings, 0)) >= cfg.same_face:
            return None
        return found, lm, emb

    def cut(self) -> None:
        """A shot change: whoever is on screen now starts a new track (nothing is smoothed across a cut)."""
        for t in self.open:
            t.to_edge = True
        self.closed += self.open
        self.open, self.recent, self.shot_start = [], [], None

    def finish(self) -> list[_Open]:
        for t in self.open:  # at the clip's end
            t.to_edge = True
        out = self.closed + self.open
        self.open, self.closed = [], []
        for t in out:
            # the frames after the face was last found are guesses where it had gone: dropped, unless they
            # lead on that face to the shot's end (a face turning or blurring as the shot ends is still there)
            if not (t.to_edge and not t.strayed and len(t.points) - t.seen <= self.config.edge_frames):
                t.frames, t.points = t.frames[:t.seen], t.points[:t.seen]
        return out


def cluster(tracks: list[Track], same_person: float) -> list[Identity]:
    """Tracks into identities: greedy over tracks longest first, joining the nearest identity within
    ``same_person`` of its mean embedding."""
    tracks = sorted(tracks, key=lambda t: len(t.frames), reverse=True)
    groups = [[tracks[k] for k in g] for g in group_by_identity([t.embedding for t in tracks], same_person)]
    out = []
    for k, g in enumerate(sorted(groups, key=lambda g: -sum(len(t.frames) for t in g))):
        for t in g:
            t.identity = k
        out.append(Identity(k, np.mean([t.embedding for t in g], 0).astype(np.float32), [t.id for t in g],
                            sum(len(t.frames) for t in g), float(np.median([t.face_height for t in g]))))
    return out


def track_video(path: Path, start_s: float = 0.0, end_s: float | None = None, config: TrackConfig = TrackConfig(),
                on_progress: ProgressFn = null_progress) -> VideoFaces:
    """Every face in the clip (or its [start_s, end_s) part), tracked, smoothed and grouped by person."""
    from engine.faces.video import clip_info

    info = clip_info(path)
    tracker = _Tracker(config)
    first, n, last_detect, previous, cuts = None, 0, None, None, []
    total = max(1, int(((end_s or info.frames / info.fps) - start_s) * info.fps))
    for i, rgb in read_frames(path, start_s, end_s):
        first = i if first is None else first
        thumb = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (64, 36), interpolation=cv2.INTER_AREA).astype(np.int16)
        if previous is not None and np.abs(thumb - previous).mean() > config.cut_threshold:
            tracker.cut()
            cuts.append(i)
            last_detect = None
        previous = thumb
        since = i - last_detect if last_detect is not None else None
        detect = since is None or since >= (config.detect_every if tracker.open else config.search_every)
        if detect:
            last_detect = i
        tracker.step(i, rgb, detect)
        n += 1
        if n % 24 == 0:
            on_progress(Progress("track", min(1.0, n / total), f"tracking faces: frame {n} of ~{total}"))
    if first is None:
        raise FaceError(f"{Path(path).name} has no decodable frames in that range")
    tracks = []
    for t in tracker.finish():
        if len(t.frames) < config.min_frames or t.detections < config.min_detections or not t.embeddings:
            continue
        raw = np.stack(t.points).astype(np.float32)
        tracks.append(Track(t.id, np.array(t.frames), smooth_track(raw, info.fps, config.smooth), raw,
                            np.mean(t.embeddings, 0).astype(np.float32)))
    identities = cluster(tracks, config.same_person)
    tracks = bridge(tracks, cuts, config.edge_frames, lambda raw: smooth_track(raw, info.fps, config.smooth))
    identities = [Identity(i.id, i.embedding, [t.id for t in tracks if t.identity == i.id],
                           sum(len(t.frames) for t in tracks if t.identity == i.id), i.face_height) for i in identities]
    log.info("%s: %d frames, %d face tracks, %d people", Path(path).name, n, len(tracks), len(identities))
    return VideoFaces(str(path), info.fps, info.width, info.height, first, n, tracks, identities)


def bridge(tracks: list[Track], cuts: list[int], max_gap: int, smooth) -> list[Track]:
    """Two tracks of one person a few frames apart in one shot (at most ``max_gap``; no cut between them) are
    one track: the detector lost the face for a moment (the selfie video's speaker, her forehead past the
    frame's top for 4 frames), and the gap would flash the actor's own face mid-shot. The gap's landmarks run
    straight from one track's last to the next one's first; the whole is smoothed again (``smooth``)."""
    out: list[Track] = []
    for t in sorted(tracks, key=lambda t: (t.identity, int(t.frames[0]))):
        prev = out[-1] if out and out[-1].identity == t.identity else None
        gap = int(t.frames[0]) - int(prev.frames[-1]) - 1 if prev is not None else -1
        if prev is None or not 0 < gap <= max_gap or any(prev.frames[-1] < c <= t.frames[0] for c in cuts):
            out.append(t)
            continue
        w = (np.arange(1, gap + 1, dtype=np.float32) / (gap + 1))[:, None, None]
        raw = np.concatenate([prev.raw, (1 - w) * prev.raw[-1] + w * t.raw[0], t.raw]).astype(np.float32)
        frames = np.arange(int(prev.frames[0]), int(t.frames[-1]) + 1)
        if len(frames) != len(raw):  # a track with holes of its own: left as it is
            out.append(t)
            continue
        n_a, n_b = len(prev.frames), len(t.frames)
        emb = ((n_a * prev.embedding + n_b * t.embedding) / (n_a + n_b)).astype(np.float32)
        out[-1] = Track(prev.id, frames, smooth(raw), raw, emb, prev.identity)
    return sorted(out, key=lambda t: t.id)

