"""Job-kind handlers: what a worker does for each kind of job ("make", "write", "film", "train").

Each handler takes a JobContext and returns the job's result dict; it raises EngineError (the job
fails with that message) or Cancelled. Work goes to the engine's stages, which resume from the job
folder, so a handler run again after a crash redoes only the stages that had not finished.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.settings import Settings
from engine.brief import Brief
from engine.errors import BriefError, Cancelled, EngineError, FaceError, FootageError
from engine.pipeline import CastMember, ProductionPlan, WriteInputs, WriteStage, pick_take, produce, run_stage
from engine.progress import ProgressFn
from storage import briefs as briefstore
from storage import cast as caststore
from storage import films as filmstore
from storage import jobs as jobstore
from storage import takes as takestore
from storage.settings import get_guild_setting, set_guild_setting

log = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
DEFAULT_SIZE = (640, 360)
DEFAULT_FPS = 24


@dataclass
class JobContext:
    settings: Settings
    db: sqlite_utils.Database
    job: dict  # the job row (payload decoded)
    job_dir: Path  # settings.jobs_dir / str(job id)
    on_progress: ProgressFn  # writes the job's progress; raises Cancelled when it was cancelled


def writer_model(ctx: JobContext, payload: dict) -> Path | None:
    """The checkpoint: the job's own, the guild's trained one, the configured one, else the writer's default."""
    chosen = payload.get("model") or get_guild_setting(ctx.db, ctx.job.get("guild_id") or 0, "writer_model")
    if chosen == "shipped":  # the guild chose the shipped model explicitly
        return None
    chosen = chosen or ctx.settings.writer_model
    return Path(chosen) if chosen else None


def _device(ctx: JobContext) -> str:
    from engine.device import pick_device

    return pick_device(ctx.settings.device)


def _brief_id(ctx: JobContext, payload: dict) -> int | None:
    return ctx.job.get("brief_id") or payload.get("brief_id")


def _load_brief(ctx: JobContext, payload: dict) -> Brief:
    if payload.get("brief"):
        return Brief.from_dict(payload["brief"]).validated()
    row = briefstore.get_brief(ctx.db, _brief_id(ctx, payload))
    if row is None:
        raise BriefError(f"brief {_brief_id(ctx, payload)} no longer exists")
    return Brief.from_dict(row["brief"]).validated()


def write_and_record(ctx: JobContext, brief: Brief, brief_id: int | None, payload: dict, timings: dict) -> list:
    """Run the write stage and store its takes (idempotent per take index); returns [(TakeInfo, take_id)]."""
    inputs = WriteInputs(brief, takes=int(payload.get("takes") or 1), seed=payload.get("seed"),
                         model=writer_model(ctx, payload), device=_device(ctx), temperature=payload.get("temperature"),
                         top_k=payload.get("top_k"))
    infos = run_stage(WriteStage(), inputs, ctx.job_dir, ctx.on_progress, timings)
    start = int(payload.get("start_index") or 0)
    out = []
    for info in infos:
        take_id = None
        if brief_id is not None:
            take_id = takestore.add_take(ctx.db, brief_id, index=start + info.index, fountain_path=str(info.fountain_path),
                                         pdf_path=str(info.pdf_path) if info.pdf_path else None, seed=info.seed,
                                         score=info.score, summary=info.summary)
        out.append((info, take_id))
    return out


def members_for(ctx: JobContext, payload: dict) -> tuple[CastMember, ...]:
    """Consenting cast members to use: the named ones (``cast``: names) or the whole guild's cast."""
    guild = int(payload.get("cast_guild_id", ctx.job.get("guild_id") or 0))
    names = payload.get("cast")
    rows = caststore.list_members(ctx.db, guild)
    if names is not None:
        picked = []
        for name in names:
            row = next((r for r in rows if r["name"].casefold() == str(name).casefold()), None)
            if row is None:
                raise FaceError(f"nobody called {name!r} is in the cast; add them with: bot.py cast add NAME PHOTO")
            picked.append(row)
        rows = picked
    elif not payload.get("use_guild_cast", True):
        rows = []
    return tuple(CastMember(r["name"], tuple(Path(p) for p in r["photos"]), r["voice"]) for r in rows)


def footage_clips(folder: str | None) -> tuple[Path, ...]:
    if not folder:
        return ()
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise FootageError(f"footage must be a folder of video clips; {path} is a file")
    if not path.is_dir():
        raise FootageError(f"footage folder {path} does not exist")
    clips = tuple(sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_EXTS and p.is_file()))
    if not clips:
        raise FootageError(f"footage folder {path} has no video files ({', '.join(VIDEO_EXTS)})")
    return clips


def footage_library(ctx: JobContext, payload: dict):
    """The footage library a film is cut from: payload "footage" = "library" (the guild's, else the shipped
    one; Discord films default to it), "shipped", or a folder (added to the guild's library first).
    None (no footage asked for, or none usable): the film is an animatic, and the log says so."""
    from bot import library as lib

    asked = payload.get("footage", "library" if ctx.job.get("kind") == "film" else None)
    guild = int(payload.get("cast_guild_id", ctx.job.get("guild_id") or 0))
    if not asked:
        log.info("no footage asked for: the film is an animatic (cards and cast photos)")
        return None
    if asked == "shipped":
        found, source = lib.shipped_library(), "the shipped footage"
    else:
        if asked != "library":
            report = lib.add_clips(ctx.db, ctx.settings, [Path(asked)], guild_id=guild, on_progress=ctx.on_progress)
            for line in report.lines():
                log.info("footage: %s", line)
        found, source = lib.library_for(ctx.db, guild)
    if not found:
        log.warning("%s has no usable shots: the film is an animatic instead", source)
        return None
    log.info("cutting the film from %s (%d clips, %d shots, %d actors)", source, len(found.clips),
             len(found.shots), len(found.actors))
    return found


def produce_take(ctx: JobContext, brief: Brief, fountain_path: Path, payload: dict, *, brief_id, take_id,
                 timings: dict) -> dict:
    """Cast, voice, swap and render one take; records the film; returns the job result."""
    try:
        fountain = Path(fountain_path).read_text(encoding="utf-8")
    except OSError as e:
        raise EngineError(f"cannot read the take's screenplay {fountain_path}: {e.strerror or e}") from None
    size = tuple(payload.get("size") or DEFAULT_SIZE)
    library = footage_library(ctx, payload)
    plan = ProductionPlan(brief=brief, fountain=fountain, members=members_for(ctx, payload),
                          footage=() if library else footage_clips(payload.get("footage")), library=library,
                          max_mb=float(payload.get("max_mb") or ctx.settings.max_mb),
                          size=(int(size[0]), int(size[1])), fps=int(payload.get("fps") or DEFAULT_FPS),
                          faces_dir=Path(ctx.settings.home) / "faces", face_preset=payload.get("face_preset") or "auto",
                          device=_device(ctx))
    film = produce(plan, ctx.job_dir, ctx.on_progress)
    timings.update(film.stages_s)
    filmstore.add_film(ctx.db, ctx.job["id"], path=str(film.path), duration_s=film.duration_s,
                       size_bytes=film.size_bytes, poster=str(film.poster) if film.poster else None,
                       brief_id=brief_id, take_id=take_id)
    return {"film": str(film.path), "duration_s": film.duration_s, "size_bytes": film.size_bytes,
            "poster": str(film.poster) if film.poster else None,
            "contact_sheet": str(film.contact_sheet) if film.contact_sheet else None,
            "width": film.width, "height": film.height, "has_audio": film.has_audio,
            "credits": list(film.credits), "brief_id": brief_id, "take_id": take_id, "stages_s": timings}


@contextlib.contextmanager
def _failing_brief(ctx: JobContext, brief_id: int | None, only_while: tuple[str, ...] | None = None):
    """Mark the brief failed (or cancelled) when the job ends that way, then let the error through.

    ``only_while``: brief statuses in which this job's failure ends the brief (else it is left as it is)."""
    try:
        yield
    except (EngineError, OSError) as e:
        if brief_id is None:
            raise
        if only_while is not None and (briefstore.get_brief(ctx.db, brief_id) or {}).get("status") not in only_while:
            raise
        if not isinstance(e, Cancelled):
            briefstore.set_brief_status(ctx.db, brief_id, "failed")
        elif (jobstore.get_job(ctx.db, ctx.job["id"]) or {}).get("status") == "cancelled":
            briefstore.set_brief_status(ctx.db, brief_id, "cancelled")  # not when another worker took it over
        raise


def run_make(ctx: JobContext) -> dict:
    """CLI end to end: write the takes, pick the best (or payload "take"), produce it."""
    payload = ctx.job["payload"]
    brief_id = _brief_id(ctx, payload)
    with _failing_brief(ctx, brief_id):
        brief = _load_brief(ctx, payload)
        timings: dict[str, float] = {}
        written = write_and_record(ctx, brief, brief_id, payload, timings)
        chosen = pick_take([info for info, _ in written], payload.get("take"))
        take_id = next(tid for info, tid in written if info.index == chosen.index)
        if brief_id is not None:
            briefstore.set_brief_status(ctx.db, brief_id, "producing")
        result = produce_take(ctx, brief, chosen.fountain_path, payload, brief_id=brief_id, take_id=take_id,
                              timings=timings)
        result.update(take_index=chosen.index, take_score=chosen.score, takes=len(written),
                      fountain=str(chosen.fountain_path), pdf=str(chosen.pdf_path) if chosen.pdf_path else None)
        if brief_id is not None:
            briefstore.set_brief_status(ctx.db, brief_id, "done")
        return result


def run_write(ctx: JobContext) -> dict:
    """Write takes for a stored brief (payload: brief_id, takes, seed?, model?, start_index?)."""
    payload = ctx.job["payload"]
    brief_id = _brief_id(ctx, payload)
    with _failing_brief(ctx, brief_id, only_while=("writing",)):  # a late extra take failing keeps the vote
        brief = _load_brief(ctx, payload)
        written = write_and_record(ctx, brief, brief_id, payload, {})
        return {"brief_id": brief_id, "take_ids": [tid for _, tid in written],
                "take_indexes": [int(payload.get("start_index") or 0) + info.index for info, _ in written]}


def run_film(ctx: JobContext) -> dict:
    """Produce a stored take (payload: brief_id, take_id, max_mb, cast_guild_id)."""
    payload = ctx.job["payload"]
    brief_id = _brief_id(ctx, payload)
    with _failing_brief(ctx, brief_id):
        take = takestore.get_take(ctx.db, payload.get("take_id"))
        if take is None:
            raise EngineError(f"take {payload.get('take_id')} no longer exists")
        brief = _load_brief(ctx, payload)
        if brief_id is not None:
            briefstore.set_brief_status(ctx.db, brief_id, "producing")
        result = produce_take(ctx, brief, Path(take["fountain_path"]), payload, brief_id=brief_id,
                              take_id=take["id"], timings={})
        if brief_id is not None:
            briefstore.set_brief_status(ctx.db, brief_id, "done")
        return result


def run_train(ctx: JobContext) -> dict:
    """Train a writer checkpoint on a corpus (payload: corpus paths, preset, steps, guild_id); the guild uses it."""
    from engine.screenplay.train import TrainConfig, train

    payload = ctx.job["payload"]
    guild = int(payload.get("guild_id", ctx.job.get("guild_id") or 0))
    try:
        config = TrainConfig.preset_defaults(payload.get("preset") or "small", steps=payload.get("steps"),
                                             device=ctx.settings.device)
    except ValueError as e:
        raise EngineError(str(e)) from None
    out = ctx.job_dir / "train" / "writer.pt"  # resumes from here when the job is picked up again
    out.parent.mkdir(parents=True, exist_ok=True)
    result = train([Path(p) for p in payload["corpus"]], config, out, resume=True, on_progress=ctx.on_progress)
    set_guild_setting(ctx.db, guild, "writer_model", str(result.checkpoint))
    return {"checkpoint": str(result.checkpoint), "guild_id": guild, "val_bpc": result.val_bpc,
            "steps": result.steps, "parameters": result.parameters}


HANDLERS = {"make": run_make, "write": run_write, "film": run_film, "train": run_train}
