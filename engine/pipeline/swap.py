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

from engine.errors import FaceError
from engine.pipeline.stage import Stage, write_json_atomic
from engine.progress import Progress, ProgressFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShotSwap:
    shot: int  # index of the shot in the film's plan
    clip: Path
    start_s: float  # the part of the clip the shot uses
    end_s: float
    member: str | None  # cast member to put on the actor; None = the actor keeps their face
    media: tuple[Path, ...] = ()  # the cast member's consented photos / videos
    actor_embedding: tuple[float, ...] | None = None  # which face in the shot (library actor); None = main
    line_wav: Path | None = None  # the line the face speaks: its mouth follows this audio
    line_offset_s: float = 0.0  # when that line starts, in film seconds from the shot's start
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
    env = envelope(audio, rate, shown_fps, max(0, frames - lead))
    return tuple(float(v) for v in np.concatenate([np.zeros(lead, np.float32), env])[:frames])


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
        if inputs.cache is None:
            inputs = replace(inputs, cache=out_dir / "cache")
        members: dict = {}
        done, notes = {}, []
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
            notes.extend(row.get("notes", []))
        outputs = {"shots": {str(k): v for k, v in sorted(done.items())}, "preset": preset, "notes": notes}
        files = [v["path"] for v in done.values() if v.get("path")]
        self.mark_done(workdir, outputs, files)
        on_progress(Progress(self.name, 1.0, f"{len(files)} shot(s) swapped", 0.0))
        return outputs

    def _swap_shot(self, shot: ShotSwap, inputs: SwapInputs, preset: str, members: dict, out_dir: Path,
                   report: ProgressFn) -> dict:
        from engine.faces.castswap import CastSwapRequest, cast_faceset, member_for
        from engine.faces.models.reanimate import ReanimateMember
        from engine.faces.swap import SwapOptions, swap_clip
        from engine.faces.track import track_video

        faces = track_video(shot.clip, shot.start_s, shot.end_s, on_progress=report)
        actor = actor_for(faces, shot.actor_embedding)
        if actor is None:
            log.info("shot %d: no face to swap in %s", shot.shot, Path(shot.clip).name)
            return {"path": None, "member": None, "notes": []}
        mouth = mouth_curve(shot, faces.fps, faces.frame_count)
        if shot.member is None and mouth is None:
            return {"path": None, "member": None, "notes": []}
        out = out_dir / f"shot-{shot.shot:03d}.mp4"
        options = SwapOptions(actor=actor, start_s=shot.start_s, end_s=shot.end_s, keep_audio=False, mouth=mouth)
        notes: list[str] = []
        if shot.member is None:
            member = ReanimateMember()
        else:
            key = (shot.member, actor_key(faces, actor))
            if key not in members:
                try:
                    cast, notes = cast_faceset(shot.member, shot.media, inputs.cache)
                    request = CastSwapRequest(shot.member, shot.media, shot.clip, out, inputs.cache, preset,
                                              device=inputs.device, options=options)
                    members[key] = member_for(request, cast, faces, actor, report)
                except FaceError as e:  # their photos were all refused: the actor keeps their face
                    log.warning("shot %d: %s; %s keeps their own face", shot.shot, e, "the actor")
                    members[key] = ReanimateMember()
                    notes = [f"{shot.member}: {e}"]
            member = members[key]
        swap_clip(shot.clip, member, out, options, report, faces=faces)
        return {"path": str(out), "member": shot.member, "actor": actor, "notes": notes}

    def outputs(self, workdir: Path) -> dict:
        return self.load(workdir)["outputs"]


def actor_key(faces, actor: int) -> bytes:
    return np.round(next(i.embedding for i in faces.identities if i.id == actor), 2).tobytes()


def swapped_paths(outputs: dict) -> dict[int, Path]:
    """shot index -> swapped clip, from the stage's outputs."""
    return {int(k): Path(v["path"]) for k, v in (outputs.get("shots") or {}).items() if v.get("path")}

