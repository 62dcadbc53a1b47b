"""Swap stage: the planned footage shots with the cast's faces on their actors, mouths moving with the
voices. One swapped clip per shot (``swap/shot-NNN.mp4``) with its own done-marker, so a killed job
resumes at the shot it was in. Models are trained or reused per (cast member, footage actor) through
engine.faces' cache, so a second film with the same pair reuses them.

A shot played by a footage actor with no cast member still goes through here when it carries a line:
the actor keeps their face and only their mouth is re-animated to the voice.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.clock import minutes_seconds
from engine.errors import FaceError
from engine.pipeline.stage import Stage, write_json_atomic
from engine.progress import Progress, ProgressFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShotFace:
    """One face to change in a shot."""
    member: str | None  # cast member to put on the actor; None = the actor keeps their face
    media: tuple[Path, ...] = ()  # the cast member's consented photos / videos
    actor_embedding: tuple[float, ...] | None = None  # which face in the shot (library actor); None = main
    speaks: bool = True  # its mouth follows the shot's line


@dataclass(frozen=True)
class ShotSwap:
    shot: int  # index of the shot in the film's plan
    clip: Path
    start_s: float  # the part of the clip the shot uses
    end_s: float
    faces: tuple[ShotFace, ...] = ()
    line_wav: Path | None = None  # the line spoken over the shot: the speaking face's mouth follows it
    line_offset_s: float = 0.0  # when that line starts, in film seconds from the shot's start (< 0: before)
    speed: float = 1.0  # the render plays the shot at this speed (< 1 slows it)


@dataclass(frozen=True)
class SwapInputs:
    shots: tuple[ShotSwap, ...]
    cache: Path | None = None  # engine.faces' cache: face sets, trained ensembles (None: inside the job)
    preset: str = "auto"  # auto | geometric | tiny | small | large | zoneout
    device: str = "cpu"


def resolve_preset(preset: str, device: str) -> str:
    """auto: learned members on CUDA; on CPU the geometric member (a cached trained ensemble is reused
    by engine.faces when one exists for the pair)."""
    if preset != "auto":
        return preset
    return "small" if device == "cuda" else "geometric"


def mouth_curve(shot: ShotSwap, fps: float, frames: int) -> tuple[float, ...] | None:
    """Per source frame 0..1: how open the speaking mouth is (None when the shot carries no line)."""
    from engine.faces.lipsync import envelope
    from engine.voice.audio import read_wav

    if shot.line_wav is None or not Path(shot.line_wav).is_file():
        return None
    audio, rate = read_wav(Path(shot.line_wav))
    shown_fps = fps * max(0.05, shot.speed)  # a slowed shot shows each source frame for longer
    lead = int(round(shot.line_offset_s * shown_fps))
    if lead < 0:  # the line began in an earlier shot: start part-way into it
        audio = audio[min(len(audio), int(-shot.line_offset_s * rate)):]
        lead = 0
    env = envelope(audio, rate, shown_fps, max(0, frames - lead))
    return tuple(float(v) for v in np.concatenate([np.zeros(lead, np.float32), env])[:frames])


MIN_SPEED = 0.7  # as slow as a trimmed shot may play to fill its time (the planner itself goes down to 0.8)...
MAX_HOLD_S = 0.5  # ...and then its last frame may hold this long before the cut
LOOSE_FRAMES = 2  # an untracked head or tail this short is left as it is


def covered(shot: ShotSwap, faces, actors: list[int]) -> ShotSwap:
    """The shot trimmed to the stretch where every cast member's actor is tracked, and slowed (down to
    MIN_SPEED, then its last frame held up to MAX_HOLD_S) to fill the same screen time: at the head or tail
    of a shot the detector can lose a face that is still on screen (looking down, behind a straw), and there
    the actor's own face would show for a moment, flickering out of the cast member's. Unchanged when nothing
    is lost, or when the stretch left is too short to fill the shot so."""
    seen = [np.concatenate([t.frames for t in faces.tracks_of(a)]) for a in actors]
    if not actors or any(len(f) == 0 for f in seen):
        return shot
    first = max(int(f.min()) for f in seen)
    last = min(int(f.max()) for f in seen)
    window_first, window_last = faces.first_frame, faces.first_frame + faces.frame_count - 1
    if last < first or (first - window_first <= LOOSE_FRAMES and window_last - last <= LOOSE_FRAMES):
        return shot
    start = max(shot.start_s, round(first / faces.fps, 3))
    end = min(shot.end_s, round((last + 1) / faces.fps, 3))
    screen = (shot.end_s - shot.start_s) / max(1e-6, shot.speed)
    speed = round(max(MIN_SPEED, (end - start) / screen), 3)
    if screen - (end - start) / speed > MAX_HOLD_S:
        return shot
    return replace(shot, start_s=start, end_s=end, speed=speed)


def shot_swaps(film_plan, library, cast, lines) -> tuple[ShotSwap, ...]:
    """The swap stage's work for a footage plan: for each planned shot, the speaking actor's face (a cast
    member's, or their own with the mouth re-animated to the line) and any other cast member in frame."""
    media = {a.member: tuple(a.photos) for a in cast.values() if a.member}
    embedding = {a.id: tuple(a.embedding) or None for a in library.actors}
    wav = {line.index: Path(line.wav) for line in lines}
    out = []
    for i, s in enumerate(film_plan.shots):
        others = {actor: member for member, actor in s.swaps}
        faces = []
        if s.line is not None and s.actor is not None:
            member = others.pop(s.actor, None)
            faces.append(ShotFace(member, media.get(member, ()), embedding.get(s.actor), speaks=True))
        faces += [ShotFace(m, media.get(m, ()), embedding.get(a), speaks=False) for a, m in others.items()]
        if faces:
            out.append(ShotSwap(i, Path(s.clip), s.start, s.end, tuple(faces),
                                wav.get(s.line) if s.line is not None else None, -s.offset, s.speed))
    return tuple(out)


def actor_for(faces, embedding: tuple[float, ...] | None) -> int | None:
    """The shot's identity nearest the library actor (None when the shot shows nobody)."""
    if not faces.identities:
        return None
    if embedding is None:
        return faces.main_identity().id
    target = np.asarray(embedding, np.float32)
    return min(faces.identities, key=lambda i: float(np.linalg.norm(i.embedding - target))).id


class SwapStage(Stage):
    name = "swap"

    def shot_marker(self, workdir: Path, shot: int) -> Path:
        return self.dir(workdir) / f"shot-{shot:03d}.json"

    def run(self, inputs: SwapInputs, workdir: Path, on_progress: ProgressFn) -> dict:
        out_dir = self.dir(workdir)
        out_dir.mkdir(parents=True, exist_ok=True)
        preset = resolve_preset(inputs.preset, inputs.device)
        self._tracking: dict = {}
        self._posed: dict = {}  # (cast member, actor) -> their photos' landmarks, until the pose tip is given
        if inputs.cache is None:
            inputs = replace(inputs, cache=out_dir / "cache")
        members: dict = {}
        done = {}
        total = max(1, len(inputs.shots))
        for n, shot in enumerate(inputs.shots):
            def report(p: Progress, n=n) -> None:
                on_progress(Progress(self.name, (n + p.fraction) / total,
                                     f"shot {n + 1} of {total}: {p.message}", None))
            marker = self.shot_marker(workdir, shot.shot)
            if marker.is_file():
                row = json.loads(marker.read_text(encoding="utf-8"))
                if row.get("path") is None or Path(row["path"]).is_file():
                    done[shot.shot] = row
                    continue
            row = self._swap_shot(shot, inputs, preset, members, out_dir, report)
            write_json_atomic(marker, row)
            done[shot.shot] = row
            on_progress(Progress(self.name, (n + 1) / total, f"shot {n + 1} of {total} swapped",
                                 saved=f"shot {shot.shot}"))  # a killed job resumes after this shot
        notes = list(dict.fromkeys(n for _, row in sorted(done.items()) for n in row.get("notes", [])))  # once each
        outputs = {"shots": {str(k): v for k, v in sorted(done.items())}, "preset": preset, "notes": notes}
        files = [v["path"] for v in done.values() if v.get("path")]
        self.mark_done(workdir, outputs, files)
        on_progress(Progress(self.name, 1.0, f"{len(files)} shot(s) swapped", 0.0))
        return outputs

    def _tracked(self, clip: Path, start: float, end: float | None, report: ProgressFn):
        """The faces of [start, end) of a footage clip, from one tracking of the whole clip per run."""
        from engine.faces.track import track_video

        key = str(clip)
        if key not in self._tracking:
            self._tracking[key] = track_video(clip, on_progress=report)
        return self._tracking[key].window(start, end)

    def _swap_shot(self, shot: ShotSwap, inputs: SwapInputs, preset: str, members: dict, out_dir: Path,
                   report: ProgressFn) -> dict:
        """Each face of the shot in turn (a second face is swapped on the first one's result); the last
        pass writes the shot with its AI badge."""
        from engine.faces.swap import SwapOptions, swap_clip

        out = out_dir / f"shot-{shot.shot:03d}.mp4"
        faces = self._tracked(Path(shot.clip), shot.start_s, shot.end_s, report)
        cast_actors = [actor_for(faces, f.actor_embedding) for f in shot.faces if f.member is not None]
        trimmed = covered(shot, faces, [a for a in cast_actors if a is not None])
        if trimmed != shot:
            log.info("shot %d: %.2f-%.2fs played at %.2fx (the cast member's face is lost for the rest)",
                     shot.shot, trimmed.start_s, trimmed.end_s, trimmed.speed)
            shot = trimmed
            faces = self._tracked(Path(shot.clip), shot.start_s, shot.end_s, report)
        work = []
        for face in shot.faces:
            actor = actor_for(faces, face.actor_embedding)
            mouth = mouth_curve(shot, faces.fps, faces.frame_count) if face.speaks else None
            if actor is not None and (face.member is not None or mouth is not None):
                work.append((face, actor, mouth))
        if not work:
            log.info("shot %d: no face to change in %s", shot.shot, Path(shot.clip).name)
            return {"path": None, "faces": [], "notes": []}
        notes: list[str] = []
        source, start, end = Path(shot.clip), shot.start_s, shot.end_s
        for k, (face, actor, mouth) in enumerate(work):
            if k:  # a second face: track the first pass's result
                from engine.faces.track import track_video

                faces = track_video(source)
                actor = actor_for(faces, face.actor_embedding)
                if actor is None:
                    continue
            last = k == len(work) - 1
            target = out if last else out.with_name(f"{out.stem}.{k}.mp4")
            member = self._member(face, faces, actor, inputs, preset, members, out, notes, shot)
            done = swap_clip(source, member, target, SwapOptions(actor=actor, start_s=start, end_s=end,
                                                                 keep_audio=False, mouth=mouth, mark=last),
                             report, faces=faces)
            notes.extend(f"{face.member}: {n}" for n in done.notes if face.member)
            if k:
                source.unlink(missing_ok=True)
            source, start, end = target, 0.0, None
        return {"path": str(out), "faces": [f.member or "(own face)" for f, _, _ in work], "notes": notes,
                "start": shot.start_s, "end": shot.end_s, "speed": shot.speed}  # the stretch it shows

    def _member(self, face: ShotFace, faces, actor: int, inputs: SwapInputs, preset: str, members: dict,
                out: Path, notes: list[str], shot: ShotSwap):
        from engine.faces.advice import pose_tip
        from engine.faces.castswap import CastSwapRequest, cast_faceset, member_for
        from engine.faces.models.reanimate import ReanimateMember

        if face.member is None:
            return ReanimateMember()
        key = (face.member, actor_key(faces, actor))
        if key not in members:
            try:
                cast, _ = cast_faceset(face.member, face.media, inputs.cache)
                request = CastSwapRequest(face.member, face.media, Path(faces.path), out, inputs.cache, preset,
                                          device=inputs.device)
                members[key] = member_for(request, cast, faces, actor)
                self._posed[key] = cast.landmarks
            except FaceError as e:  # their photos were all refused: the actor keeps their face
                log.warning("%s; the footage actor keeps their own face", e)
                notes.append(f"{face.member}: {e}")
                members[key] = ReanimateMember()
        if key in self._posed:  # the first shot where a turned photo would help, once a film
            tip = pose_tip(self._posed[key], faces.all_landmarks_of(actor), where=shot_name(shot))
            if tip:
                del self._posed[key]
                notes.append(f"{face.member}: {tip}")
        return members[key]

    def outputs(self, workdir: Path) -> dict:
        return self.load(workdir)["outputs"]


def shot_name(shot: ShotSwap) -> str:
    """How a film's notes name a shot: its clip and the stretch of it the film uses ("the shot from
    tears.mp4, 0:04.8-0:07.0"), which a user can find in the clip they added."""
    return f"the shot from {Path(shot.clip).name}, {minutes_seconds(shot.start_s)}-{minutes_seconds(shot.end_s)}"


def actor_key(faces, actor: int) -> bytes:
    return np.round(next(i.embedding for i in faces.identities if i.id == actor), 2).tobytes()


def swapped_paths(outputs: dict) -> dict[int, Path]:
    """shot index -> swapped clip, from the stage's outputs."""
    return {int(k): Path(v["path"]) for k, v in (outputs.get("shots") or {}).items() if v.get("path")}


def swapped_stretches(outputs: dict) -> dict[int, tuple[float, float, float]]:
    """shot index -> (start, end, speed) of the clip that its swapped version shows, where the swap stage
    trimmed the shot to the cast member's face (see ``covered``)."""
    return {int(k): (float(v["start"]), float(v["end"]), float(v["speed"]))
            for k, v in (outputs.get("shots") or {}).items() if v.get("path") and "start" in v}

