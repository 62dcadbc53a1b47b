"""produce(): a chosen take to a finished film, stage by stage, resuming from done-markers."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path

from engine.footage.plan import FilmPlan
from engine.pipeline.cast import CastInputs, CastStage
from engine.pipeline.plan import FilmResult, ProductionPlan
from engine.pipeline.render import RenderInputs, RenderStage
from engine.pipeline.stage import Stage
from engine.pipeline.swap import SwapInputs, SwapStage, shot_swaps, swapped_paths, swapped_stretches
from engine.pipeline.voice import VoiceStage
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)
PLAN_FILE = "footage-plan.json"  # the film's shot list, in the job folder


def run_stage(stage: Stage, inputs, job_dir: Path, on_progress: ProgressFn, timings: dict[str, float]):
    """Run ``stage`` unless its done-marker says its outputs are already there."""
    if stage.is_done(job_dir):
        log.info("%s: already done, skipping", stage.name)
        on_progress(Progress(stage.name, 1.0, "already done", 0.0))
        timings[stage.name] = 0.0
        return stage.outputs(job_dir)

    def report(p: Progress) -> None:
        on_progress(p if p.stage == stage.name else replace(p, stage=stage.name))

    t0 = time.monotonic()
    on_progress(Progress(stage.name, 0.0, "starting"))
    out = stage.run(inputs, job_dir, report)
    timings[stage.name] = time.monotonic() - t0
    log.info("%s: done in %.1fs", stage.name, timings[stage.name])
    on_progress(Progress(stage.name, 1.0, "done", 0.0, saved=f"{stage.name} stage"))
    return out


def produce(plan: ProductionPlan, job_dir: Path, on_progress: ProgressFn = null_progress) -> FilmResult:
    from engine.screenplay.fountain import parse_fountain

    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    screenplay = parse_fountain(plan.fountain)
    if not screenplay.title:
        screenplay.title = plan.brief.title
    timings: dict[str, float] = {}
    shots = [] if plan.library else footage_shots(plan.footage)  # unreadable footage fails before any stage
    cast = run_stage(CastStage(), CastInputs(tuple(screenplay.characters()), plan.members, plan.cast),
                     job_dir, on_progress, timings)
    lines = run_stage(VoiceStage(), (screenplay, cast), job_dir, on_progress, timings)
    film_plan = plan_footage(plan, screenplay, cast, lines, job_dir)
    work = shot_swaps(film_plan, plan.library, cast, lines) if film_plan else ()
    swapped = run_stage(SwapStage(), SwapInputs(work, plan.faces_dir, plan.face_preset, plan.device), job_dir,
                        on_progress, timings)
    if film_plan:
        shots = footage_from_plan(film_plan, swapped_paths(swapped), swapped_stretches(swapped))
    faces = {c: a.face for c, a in cast.items() if a.face}
    inputs = RenderInputs(screenplay, lines, faces, shots,
                          credits_for(plan, screenplay, cast, lines, shots, film_plan), plan.size, plan.fps,
                          plan.max_mb)
    result = run_stage(RenderStage(), inputs, job_dir, on_progress, timings)
    return FilmResult(path=Path(result.path), duration_s=result.duration_s, size_bytes=result.size_bytes,
                      poster=result.poster, contact_sheet=result.contact_sheet, stages_s=timings,
                      width=result.width, height=result.height, has_audio=result.has_audio,
                      credits=RenderStage().credits(job_dir), notes=tuple(swapped.get("notes") or ()))


def credits_for(plan: ProductionPlan, screenplay, cast, lines, shots, film_plan: FilmPlan | None = None):
    """The credits: who plays whom, the footage used (each clip's credit and licence) and the AI note.
    Which voice speaks for whom is left to build_timeline, which fills it from the voiced lines."""
    from engine.render import Credits

    if film_plan is not None:
        swapped = any(s.replacement for s in shots)
        players = tuple((c, footage_player(c, a, cast, plan.library, film_plan, swapped))
                        for c, a in film_plan.casting)
        footage = film_plan.credits
    else:
        players = tuple((c, a.member or "drawn card") for c, a in cast.items())
        footage = tuple(dict.fromkeys(s.source or Path(s.path).name for s in shots))
    extra = {"note": plan.note} if plan.note else {}
    return Credits(title=screenplay.title or plan.brief.title, cast=players, footage=footage, **extra)


def footage_player(character: str, actor: int | None, cast, library, film_plan: FilmPlan, swapped: bool) -> str:
    """Who plays ``character`` in a film cut from footage, e.g. "Actor 2, also plays BOB"."""
    member = cast[character].member if character in cast else None
    name = library.actor_name(actor) if actor is not None else ""
    if member and name and swapped:
        who = f"{member} (face on {name})"
    elif name:
        who = name + (f", voice chosen by {member}" if member else "")
    else:
        who = member or "unseen (voice only)"
    also = [c for c, a in film_plan.casting if a == actor and c != character and actor is not None]
    return who + (f", also plays {' and '.join(also)}" if also else "")


def plan_footage(plan: ProductionPlan, screenplay, cast, lines, job_dir: Path) -> FilmPlan | None:
    """The film's shot list from the footage library (None without one), kept in the job folder so a
    resumed job cuts the same shots the swap stage made."""
    from engine.footage.plan import plan_film
    from engine.pipeline.stage import from_jsonable, to_jsonable, write_json_atomic

    if not plan.library:
        return None
    path = Path(job_dir) / PLAN_FILE
    if path.is_file():
        return from_jsonable(FilmPlan, json.loads(path.read_text(encoding="utf-8")))
    members = {c: a.member for c, a in cast.items() if a.member}
    film_plan = plan_film(screenplay, plan.library, [x.duration_s for x in lines], members=members,
                          props=plan.brief.props)
    for note in film_plan.notes:
        log.warning("footage: %s", note)
    write_json_atomic(path, to_jsonable(film_plan))
    return film_plan


def footage_from_plan(film_plan: FilmPlan, replacements: dict[int, Path] | None = None,
                      stretches: dict[int, tuple[float, float, float]] | None = None) -> list:
    """The render's footage shots for a plan, the swapped version of a shot where the swap stage made one
    (over the stretch of the clip it shows: ``stretches``, when the swap stage trimmed the shot)."""
    from engine.render import FootageShot

    replacements, stretches = replacements or {}, stretches or {}
    out = []
    for i, s in enumerate(film_plan.shots):
        planned = (s.start, s.end, s.speed)
        start, end, speed = stretches.get(i, planned) if i in replacements else planned
        out.append(FootageShot(s.clip, start, end, start=s.offset, duration=s.duration, line=s.line,
                               source=s.credit, speed=speed, beat=s.beat, replacement=replacements.get(i)))
    return out


def footage_shots(clips, shot_s: float = 4.0) -> list:
    """Cut each clip into shots of at most ``shot_s`` seconds, in order, for the lines to use."""
    from engine.errors import FootageError
    from engine.render import FootageShot, probe

    shots = []
    for clip in clips:
        info = probe(Path(clip))
        duration = float(info.get("duration") or 0.0)
        if not info.get("video_codec") or duration <= 0.5:
            log.warning("footage %s skipped: no readable video in it (or under half a second)", Path(clip).name)
            continue
        t = 0.0
        while duration - t > 0.5:
            shots.append(FootageShot(Path(clip), round(t, 3), round(min(duration, t + shot_s), 3),
                                     source=Path(clip).name))
            t += shot_s
    if clips and not shots:  # footage was asked for: never quietly make the film without it
        raise FootageError(f"none of the {len(clips)} footage clip(s) could be read as video "
                           f"({', '.join(Path(c).name for c in list(clips)[:3])}{'...' if len(clips) > 3 else ''})")
    return shots
