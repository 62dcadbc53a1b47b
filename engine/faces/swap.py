"""Swapping a cast member's face onto an actor through a clip.

    result = swap_clip(clip, member, out_mp4, SwapOptions(actor=None), on_progress)

Pass one tracks every face (engine.faces.track) and picks the actor (the most-seen face, or
``options.actor``). Pass two aligns the actor's face in each frame, asks the member (one model or an
ensemble) for the cast member's face, matches its colour, keeps occluders in front, pastes it back
with a feathered mask (pixels outside it untouched), marks the frame "AI" and writes the mp4 with the
clip's audio and an AI-generated tag. Nothing is written when the clip has no face.
"""
from __future__ import annotations

import collections
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.errors import FaceError
from engine.faces.align import ALIGN_SIZE, align, align_matrix, invert, transform
from engine.faces.convert.blend import paste
from engine.faces.convert.colour import ColourMatch
from engine.faces.convert.glasses import GlassesConfig, GlassesKeeper
from engine.faces.convert.occlusion import OcclusionConfig, SkinMemory, held, held_lips, occluder_mask, toned
from engine.faces.convert.silhouette import SilhouetteConfig, SilhouetteKeeper, far_lens
from engine.faces.lipsync import drive
from engine.faces.mark import add_mark
from engine.faces.models._base import AlignedBatch, Member
from engine.faces.models.reanimate import drive_face
from engine.faces.track import TrackConfig, VideoFaces, track_video
from engine.faces.video import VideoWriter, read_frames
from engine.progress import EtaClock, Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SwapOptions:
    actor: int | None = None  # which identity of the clip (0 = most seen); None = the main face
    start_s: float = 0.0
    end_s: float | None = None
    batch: int = 8  # aligned faces per member call
    mark: bool = True  # the visible "AI" badge
    keep_audio: bool = True
    mouth: tuple[float, ...] | None = None  # per output frame 0..1: drive the mouth (lipsync.envelope)
    occlusion: OcclusionConfig = OcclusionConfig()
    glasses: GlassesConfig = GlassesConfig()  # the actor's glasses stay on, whole (unless the cast member wears theirs)
    silhouette: SilhouetteConfig = SilhouetteConfig()  # a turned head: nothing pasted past its far cheek
    track: TrackConfig = TrackConfig()


@dataclass
class SwapResult:
    path: Path
    frames: int
    swapped_frames: int
    actor: int
    actors: int  # identities found in the clip
    seconds: float
    fps: float  # conversion frames per second (both passes)
    wins: dict[str, int] = field(default_factory=dict)  # member -> frames it supplied
    faces: VideoFaces | None = None
    notes: list[str] = field(default_factory=list)  # what the user should know about this swap
    own_glasses: bool = False  # the cast member's glasses were shown and the actor's left off (GlassesConfig)


def neutral_face(faces: VideoFaces, actor: int) -> np.ndarray:
    """The actor's mean aligned landmarks over the clip: their face at rest, in this clip's lighting of poses."""
    shapes = [transform(lm, align_matrix(lm)) for lm in faces.all_landmarks_of(actor)]
    return np.mean(shapes, axis=0).astype(np.float32)


def choose_actor(faces: VideoFaces, actor: int | None) -> int:
    if not faces.identities:
        raise FaceError(f"there is no face in {Path(faces.path).name} to swap")
    if actor is None:
        return faces.main_identity().id
    return faces.identity(actor).id


@dataclass
class _Item:
    slot: int  # index in the frame buffer
    track: int
    aligned: object  # engine.faces.align.Aligned
    target: np.ndarray | None


class _Composer:
    def __init__(self, member: Member, neutral: np.ndarray, options: SwapOptions) -> None:
        self.member, self.neutral, self.options = member, neutral, options
        self.colour: dict[int, ColourMatch] = collections.defaultdict(ColourMatch)
        self.notes: list[str] = []
        glasses = options.glasses
        self.own_glasses = glasses.enabled and not glasses.over_own and getattr(member, "wears_glasses", False)
        if self.own_glasses:
            glasses = replace(glasses, enabled=False)
            self.notes.append("the cast member wears glasses in their photos: theirs stay on and the actor's are "
                              "left off, so the face shows one pair")
        self.glasses: dict[int, GlassesKeeper] = collections.defaultdict(lambda: GlassesKeeper(glasses))
        self.outline: dict[int, SilhouetteKeeper] = collections.defaultdict(
            lambda: SilhouetteKeeper(options.silhouette))
        self.skin: dict[int, SkinMemory] = collections.defaultdict(lambda: SkinMemory(options.occlusion))
        self.wins: collections.Counter = collections.Counter()

    def run(self, frames: list[np.ndarray], items: list[_Item]) -> None:
        if not items:
            return
        targets = None
        if any(i.target is not None for i in items):
            targets = np.stack([i.target if i.target is not None else i.aligned.landmarks for i in items])
        batch = AlignedBatch(np.stack([i.aligned.crop for i in items]), np.stack([i.aligned.landmarks for i in items]),
                             targets, self.neutral)
        gen = self._generate(batch)
        if getattr(self.member, "own_face", False):  # the actor's own pixels: no colour to match
            self.wins.update(gen.winners or [gen.member] * len(items))
            if targets is not None:
                gen, occs = self._own_occluders(batch, gen, items)
            for k, item in enumerate(items):
                shown = gen.masks[k] if targets is None else gen.masks[k] * (1.0 - occs[k])
                paste(frames[item.slot], gen.faces[k], shown, item.aligned.inverse)
            return
        colour = {i.track: self.colour[i.track].state for i in items}  # before this batch's frames moved it
        looks = [self._look(item, gen, k, targets) for k, item in enumerate(items)]
        if targets is not None:
            # a straw in the mouth: the voice cannot open it, so the mouth follows the actor's as the straw comes
            weights = np.array([held(occ, i.aligned.landmarks, self.options.occlusion) for i, (_, occ) in zip(items, looks)])
            if weights.any():
                targets = targets + weights[:, None, None].astype(np.float32) * (batch.landmarks - targets)
                gen = self._generate(replace(batch, targets=targets))
                for track, state in colour.items():  # looked at again: the colour moves one step a frame, not two
                    self.colour[track].state = state
                looks = [self._look(item, gen, k, targets) for k, item in enumerate(items)]
        names = gen.winners or [gen.member] * len(items)
        for k, item in enumerate(items):
            self.wins[names[k]] += 1
            a = item.aligned
            face, occ = looks[k]
            lips = held_lips(occ, a.landmarks, self.options.occlusion)[..., None]  # round a straw: the actor's lips
            if lips.any():
                face = (face * (1.0 - lips) + toned(a.crop, face, lips[..., 0]) * lips + 0.5).astype(np.uint8)
            keeper = self.glasses[item.track]
            worn = keeper(a.crop, a.landmarks)  # the actor's glasses to keep in front (none when left off)
            occ = np.maximum(keeper.leave_off(occ, a.landmarks), worn)
            cut = self.outline[item.track](a.crop, a.landmarks)  # nothing past a turned head's far cheek...
            if cut.any() and worn.any():  # ...but behind the far lens of the actor's glasses, the far eye
                cut = cut * (1.0 - far_lens(a.landmarks, cut.shape[0]))
            occ = np.maximum(occ, cut)
            paste(frames[item.slot], face, gen.masks[k] * (1.0 - occ), a.inverse)

    def _own_occluders(self, batch: AlignedBatch, gen, items: list[_Item]):
        """The actor's own face moved by a voice: what comes up in front of it (a straw, a hand) stays in
        front, and a mouth it covers is not opened by the voice (it follows the actor's, as with a cast
        member): a mouth drawn open above a straw read as a black hole under the nose."""
        occs = [self.skin[i.track](i.aligned.crop, i.aligned.landmarks, gen.masks[k]) for k, i in enumerate(items)]
        weights = np.array([held(o, i.aligned.landmarks, self.options.occlusion) for o, i in zip(occs, items)])
        if weights.any():
            targets = batch.targets + weights[:, None, None].astype(np.float32) * (batch.landmarks - batch.targets)
            gen = self._generate(replace(batch, targets=targets))
        return gen, occs

    def _look(self, item: _Item, gen, k: int, targets: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The generated face k in the scene's colours, and what stands in front of it."""
        a = item.aligned
        face = self.colour[item.track](gen.faces[k], a.crop, gen.masks[k])
        if gen.own is not None:  # the actor's own pixels (the mouth's inside) keep the scene's colours
            own = gen.own[k][..., None]
            face = (face * (1.0 - own) + gen.faces[k] * own + 0.5).astype(np.uint8)
        shown = targets[k] if targets is not None else a.landmarks
        return face, occluder_mask(a.crop, a.landmarks, face, shown, gen.masks[k], self.options.occlusion)

    def _generate(self, batch: AlignedBatch):
        gen = self.member.convert(batch)
        if batch.targets is not None and not getattr(self.member, "drivable", False):
            # a member that cannot be driven made the actor's mouth: move it to the voice's
            gen.faces = np.stack([drive_face(f, lm, t) for f, lm, t in zip(gen.faces, batch.landmarks, batch.targets)])
        return gen


def swap_clip(clip: Path, member: Member, out: Path, options: SwapOptions = SwapOptions(),
              on_progress: ProgressFn = null_progress, faces: VideoFaces | None = None) -> SwapResult:
    """Swap ``member``'s face onto the chosen actor of ``clip`` into ``out`` (mp4). FaceError when the
    clip shows no face (nothing is written)."""
    t0 = time.monotonic()
    clip, out = Path(clip), Path(out)
    if faces is None:
        faces = track_video(clip, options.start_s, options.end_s, options.track,
                            lambda p: on_progress(Progress("swap", 0.3 * p.fraction, p.message)))
    actor = choose_actor(faces, options.actor)
    tracks = faces.tracks_of(actor)
    composer = _Composer(member, neutral_face(faces, actor), options)
    out.parent.mkdir(parents=True, exist_ok=True)
    duration = faces.frame_count / faces.fps
    writer = VideoWriter(out, faces.width, faces.height, faces.fps, clip if options.keep_audio else None,
                         options.start_s, duration)
    clock, swapped, n = EtaClock(), 0, 0
    buffer: list[np.ndarray] = []
    items: list[_Item] = []

    def flush() -> None:
        composer.run(buffer, items)
        for f in buffer:
            writer.write(add_mark(f) if options.mark else f)
        buffer.clear()
        items.clear()

    try:
        for i, rgb in read_frames(clip, options.start_s, options.end_s):
            slot = len(buffer)
            buffer.append(rgb)
            for t in tracks:
                lm = t.at(i)
                if lm is None:
                    continue
                aligned = align(rgb, lm, ALIGN_SIZE)
                target = None
                if options.mouth is not None and n < len(options.mouth):
                    target = drive(aligned.landmarks, options.mouth[n])
                items.append(_Item(slot, t.id, aligned, target))
                swapped += 1
            n += 1
            if len(items) >= options.batch or len(buffer) >= 4 * options.batch:
                flush()
                frac = 0.3 + 0.7 * n / max(1, faces.frame_count)
                on_progress(Progress("swap", frac, f"swapping: frame {n} of {faces.frame_count}", clock.eta(frac)))
        flush()
        writer.close()
    except BaseException:
        writer.abort()
        raise
    seconds = time.monotonic() - t0
    log.info("swapped %d of %d frames of %s in %.1fs", swapped, n, clip.name, seconds)
    for note in composer.notes:
        log.info("%s: %s", clip.name, note)
    return SwapResult(out, n, swapped, actor, len(faces.identities), seconds, n / max(1e-6, seconds),
                      dict(composer.wins), faces, composer.notes, composer.own_glasses)
