"""Job kinds on the machine that holds the database: what a job needs (:func:`gather`), its work
(studio.compute, which may run elsewhere), and what its outcome changes (:func:`record`).

Each handler takes a JobContext and returns the job's result dict; it raises EngineError (the job fails
with that message) or Cancelled. Stages resume from the job folder, so a handler run again after a crash
redoes only the work that was not saved.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from engine.brief import Brief
from engine.errors import BriefError, Cancelled, EngineError, FaceError, FootageError
from engine.pipeline import CastMember
from engine.pipeline.stage import to_jsonable
from engine.progress import ProgressFn, null_progress
from storage import briefs as briefstore
from storage import cast as caststore
from storage import films as filmstore
from storage import jobs as jobstore
from storage import takes as takestore
from storage.settings import get_guild_setting, set_guild_setting
from studio import life
from studio.briefs import WRITER_KEY
from studio.compute import compute
from studio.settings import Settings

log = logging.getLogger(__name__)

VIDEO_EXTS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")


@dataclass
class JobContext:
    settings: Settings
    db: sqlite_utils.Database
    job: dict  # the job row (payload decoded)
    job_dir: Path  # settings.jobs_dir / str(job id)
    on_progress: ProgressFn  # writes the job's progress; raises Cancelled when it was cancelled


def writer_model(settings: Settings, db, job: dict, payload: dict) -> Path | None:
    """The checkpoint: the job's own, the guild's trained one, the configured one, else the writer's default."""
    chosen = payload.get("model") or get_guild_setting(db, job.get("guild_id") or 0, WRITER_KEY)
    if chosen == "shipped":  # the guild chose the shipped model explicitly
        return None
    chosen = chosen or settings.writer_model
    return Path(chosen) if chosen else None


def _brief_id(job: dict) -> int | None:
    return job.get("brief_id") or job["payload"].get("brief_id")


def _brief(db, job: dict) -> dict:
    payload = job["payload"]
    if payload.get("brief"):
        return Brief.from_dict(payload["brief"]).validated().to_dict()
    row = briefstore.get_brief(db, _brief_id(job))
    if row is None:
        raise BriefError(f"brief {_brief_id(job)} no longer exists")
    return Brief.from_dict(row["brief"]).validated().to_dict()


def gather(db, settings: Settings, job: dict, on_progress: ProgressFn = null_progress) -> dict:
    """Everything job ``job`` needs from the database and settings, as a JSON-able dict (paths are this
    machine's; studio.remote ships the files they name), but for ``_library``: the footage library object
    a film is cut from (studio.remote ships it, clips included)."""
    payload, kind = job["payload"], job["kind"]
    inputs = {"device": settings.device}
    if kind == "train":
        return {**inputs, "corpus": list(payload["corpus"]), "preset": payload.get("preset"),
                "steps": payload.get("steps"), "minutes": payload.get("minutes")}
    inputs["brief"] = _brief(db, job)
    if kind in ("write", "make"):
        model = writer_model(settings, db, job, payload)
        inputs.update(takes=int(payload.get("takes") or 1), seed=payload.get("seed"), model=str(model) if model else None,
                      temperature=payload.get("temperature"), top_k=payload.get("top_k"), take=payload.get("take"))
        if wants_cast_names(db, job):  # opt in: characters named after the members who will play them
            inputs["cast_names"] = [m.name for m in members_for(db, job, payload)]
    if kind in ("make", "film"):
        library = footage_library(db, settings, job, payload, on_progress)
        inputs.update(members=[{"name": m.name, "photos": [str(p) for p in m.photos], "voice": m.voice}
                               for m in members_for(db, job, payload)],
                      footage=[] if library else [str(c) for c in footage_clips(payload.get("footage"))],
                      _library=library, faces_dir=str(Path(settings.home) / "faces"),
                      face_preset=payload.get("face_preset") or "auto",
                      max_mb=float(payload.get("max_mb") or settings.max_mb), size=payload.get("size"),
                      fps=payload.get("fps"))
    if kind == "film":
        take = takestore.get_take(db, payload.get("take_id"))
        if take is None:
            raise EngineError(f"take {payload.get('take_id')} no longer exists")
        try:
            inputs["fountain"] = Path(take["fountain_path"]).read_text(encoding="utf-8")
        except OSError as e:
            raise EngineError(f"cannot read the take's screenplay {take['fountain_path']}: {e.strerror or e}") from None
    return inputs


def record_takes(db, job: dict, takes: list) -> list[int]:
    """Store a write's takes (idempotent per take index, numbered after ``start_index``); their ids."""
    brief_id = _brief_id(job)
    if brief_id is None:
        return []
    start = int(job["payload"].get("start_index") or 0)
    return [takestore.add_take(db, brief_id, index=start + t["index"], fountain_path=str(t["fountain_path"]),
                               pdf_path=str(t["pdf_path"]) if t.get("pdf_path") else None, seed=t.get("seed"),
                               score=t.get("score"), summary=t.get("summary")) for t in takes]


def record(db, job: dict, outcome: dict) -> dict:
    """What a finished job's outcome changes in the database (takes, film, the guild's writer, the brief);
    returns the job's result."""
    kind, payload, brief_id = job["kind"], job["payload"], _brief_id(job)
    if kind == "train":
        guild = int(payload.get("guild_id", job.get("guild_id") or 0))
        set_guild_setting(db, guild, WRITER_KEY, str(outcome["checkpoint"]))
        return {**outcome, "guild_id": guild}
    take_ids = record_takes(db, job, outcome.get("takes") or [])
    if kind == "write":
        start = int(payload.get("start_index") or 0)
        return {"brief_id": brief_id, "take_ids": take_ids,
                "take_indexes": [start + t["index"] for t in outcome["takes"]]}
    if kind == "make":
        chosen = next(t for t in outcome["takes"] if t["index"] == outcome["chosen"])
        take_id = take_ids[outcome["takes"].index(chosen)] if take_ids else None
    else:
        take_id = payload.get("take_id")
    film = outcome["film"]
    filmstore.add_film(db, job["id"], path=str(film["film"]), duration_s=film["duration_s"],
                       size_bytes=film["size_bytes"], poster=film.get("poster"), brief_id=brief_id, take_id=take_id)
    life.move(db, brief_id, "producing")  # (a make job that resumed after its write stage skipped the move)
    life.move(db, brief_id, "done")
    result = {**film, "brief_id": brief_id, "take_id": take_id}
    if kind == "make":
        result.update(take_index=chosen["index"], take_score=chosen.get("score"), takes=len(outcome["takes"]),
                      fountain=str(chosen["fountain_path"]), pdf=chosen.get("pdf_path"))
    return result


def wants_cast_names(db, job: dict) -> bool:
    """Whether the job's brief opted in to naming its characters after the cast (its "cast_names" extra)."""
    raw = job["payload"].get("brief")
    if raw is None:
        row = briefstore.get_brief(db, _brief_id(job)) if _brief_id(job) is not None else None
        raw = row["brief"] if row else {}
    return bool((raw.get("extra") or {}).get("cast_names"))


def members_for(db, job: dict, payload: dict) -> tuple[CastMember, ...]:
    """Consenting cast members to use: the named ones (``cast``: names) or the whole guild's cast."""
    guild = int(payload.get("cast_guild_id", job.get("guild_id") or 0))
    names = payload.get("cast")
    rows = caststore.list_members(db, guild)
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


def footage_library(db, settings: Settings, job: dict, payload: dict, on_progress: ProgressFn = null_progress):
    """The footage library a film is cut from: payload "footage" = "library" (the guild's, else the shipped
    one; Discord films default to it), "shipped", or a folder (added to the guild's library first).
    None (no footage asked for, or none usable): the film is an animatic, and the log says so."""
    from bot import library as lib  # (Discord-free: the footage library's storage and files)

    asked = payload.get("footage", "library" if job.get("kind") == "film" else None)
    guild = int(payload.get("cast_guild_id", job.get("guild_id") or 0))
    if not asked:
        log.info("no footage asked for: the film is an animatic (cards and cast photos)")
        return None
    if asked == "shipped":
        found, source = lib.shipped_library(), "the shipped footage"
    else:
        if asked != "library":
            report = lib.add_clips(db, settings, [Path(asked)], guild_id=guild, on_progress=on_progress)
            for line in report.lines():
                log.info("footage: %s", line)
        found, source = lib.library_for(db, guild)
    if not found:
        log.warning("%s has no usable shots: the film is an animatic instead", source)
        return None
    log.info("cutting the film from %s (%d clips, %d shots, %d actors)", source, len(found.clips),
             len(found.shots), len(found.actors))
    return found


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


@contextlib.contextmanager
def failing_brief(ctx: JobContext, brief_id: int | None, only_while: tuple[str, ...] | None = None):
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
            life.move(ctx.db, brief_id, "failed")
        elif (jobstore.get_job(ctx.db, ctx.job["id"]) or {}).get("status") == "cancelled":
            life.move(ctx.db, brief_id, "cancelled")  # not when another worker took it over
        raise


def run_job(ctx: JobContext) -> dict:
    """Gather, compute here, record: the handler of every kind in the embedded (SQLite) mode."""
    kind, brief_id = ctx.job["kind"], _brief_id(ctx.job)
    only_while = ("writing",) if kind == "write" else None  # a late extra take failing keeps the vote
    with failing_brief(ctx, brief_id, only_while=only_while):
        inputs = gather(ctx.db, ctx.settings, ctx.job, ctx.on_progress)

        def written(takes) -> None:  # a make job: its takes are stored, the brief moves on to production
            record_takes(ctx.db, ctx.job, to_jsonable(takes))
            life.move(ctx.db, brief_id, "producing")

        outcome = compute(kind, inputs, ctx.job_dir, ctx.on_progress, on_written=written)
        return record(ctx.db, ctx.job, outcome)


HANDLERS = {"make": run_job, "write": run_job, "film": run_job, "train": run_job}
