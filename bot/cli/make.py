"""`python bot.py make`: from a brief to a finished film on the command line, no Discord needed.

Writes the takes, picks the best-scoring one (or --take K), casts, voices and renders it, through
the same job queue the bot uses (a worker runs in this process unless --detach).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import re
import shutil
import sys
import time
from pathlib import Path

from bot.cli import CliError
from bot.names import slug
from bot.settings import Settings

NAME = "make"
HELP = "make a film from a brief: write takes, pick the best, voice and render it"
ORDER = 20
DEFAULT_TAKES = 3
POLL_S = 0.25  # how often the CLI looks at the job

log = logging.getLogger(__name__)


def add_brief_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("brief (none given: the default brief)")
    g.add_argument("--title", help="the film's title")
    g.add_argument("--line", action="append", default=[], metavar="LINE", help="dialogue that must be spoken (repeat)")
    g.add_argument("--prop", action="append", default=[], metavar="PROP", help="a prop or action that must appear (repeat)")
    g.add_argument("--science", help="a science theme")
    g.add_argument("--genre", help="a genre, e.g. sci-fi")
    g.add_argument("--prime", help="text to start the writer off")
    g.add_argument("--pages", type=float, help="length in pages (about a minute each; 0.5 to 5)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="the default brief and shipped writer, cut from the shipped footage")
    add_brief_arguments(parser)
    parser.add_argument("--takes", type=int, default=DEFAULT_TAKES, help=f"takes to write (default {DEFAULT_TAKES})")
    parser.add_argument("--take", type=int, metavar="K", help="produce take K (1-based) instead of the best-scoring one")
    parser.add_argument("--seed", type=int, help="random seed for the writer")
    parser.add_argument("--temperature", type=float, help="writer sampling temperature (default 0.8)")
    parser.add_argument("--top-k", type=int, help="sample among the k likeliest characters (0 = all; default 40)")
    parser.add_argument("--model", type=Path, help="writer checkpoint (default: BENJAMIN_WRITER_MODEL or the shipped one)")
    parser.add_argument("--cast", nargs="+", metavar="NAME",
                        help="cast members to use (see: bot.py cast list); 'all' for the whole cast; default nobody")
    parser.add_argument("--cast-names", action="store_true",
                        help="name the speaking characters after the --cast members who play them (each plays the "
                             "part named for them)")
    parser.add_argument("--footage", type=Path, metavar="DIR|library",
                        help="cut the film from footage: a folder of clips (added to the footage library first), "
                             "or 'library' (the library, else the shipped footage); none: an animatic")
    parser.add_argument("--faces", choices=["auto", "geometric", "tiny", "small", "large", "zoneout"], default="auto",
                        help="face swap models: auto (learned on a GPU, geometric on a CPU, a trained ensemble "
                             "reused when cached), geometric (no training) or a learned preset to train")
    parser.add_argument("--max-mb", type=float, help="size limit in MiB (default BENJAMIN_MAX_MB)")
    parser.add_argument("--size", default="640x360", help="frame size WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--fps", type=int, default=24, help="frames per second (default 24)")
    parser.add_argument("--out", type=Path, help="where to put the film: a file, or a folder (default BENJAMIN_HOME/films/)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON, no progress bar")
    parser.add_argument("--detach", action="store_true", help="only queue the job (a `bot.py worker` runs it)")


def brief_from_args(args: argparse.Namespace):
    """The brief the flags describe, or DEFAULT_BRIEF when none is given (BriefError when invalid)."""
    from dataclasses import replace

    from engine.brief import DEFAULT_BRIEF, Brief

    given = any([args.title, args.line, args.prop, args.science, args.genre, args.prime])
    if getattr(args, "demo", False):  # the demo film is fixed: never quietly drop what was asked for
        dropped = [f for f, v in [("--title", args.title), ("--line", args.line), ("--prop", args.prop),
                                  ("--science", args.science), ("--genre", args.genre), ("--prime", args.prime),
                                  ("--cast", getattr(args, "cast", None)),
                                  ("--cast-names", getattr(args, "cast_names", False)),
                                  ("--footage", getattr(args, "footage", None))] if v]
        if dropped:
            raise CliError(f"--demo makes the default film and ignores {', '.join(dropped)}; leave out --demo")
    if getattr(args, "demo", False) or not given:
        brief = DEFAULT_BRIEF if args.pages is None else replace(DEFAULT_BRIEF, pages=args.pages)
    else:
        brief = Brief(title=args.title or "", lines=tuple(args.line), props=tuple(args.prop), science=args.science,
                      genre=args.genre, prime=args.prime, pages=1.0 if args.pages is None else args.pages)
    return brief.validated()


def _payload(args: argparse.Namespace, settings: Settings, brief) -> dict:
    if args.takes < 1 or args.takes > max(1, settings.max_takes):
        raise CliError(f"--takes must be between 1 and {max(1, settings.max_takes)} (BENJAMIN_MAX_TAKES)")
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", args.size or "")
    if not m:
        raise CliError(f"--size must look like 640x360, not {args.size!r}")
    if not (64 <= int(m[1]) <= 3840 and 64 <= int(m[2]) <= 2160):  # the renderer's range, checked before writing
        raise CliError(f"--size {m[1]}x{m[2]} is out of range (64x64 to 3840x2160)")
    if args.take is not None and not 1 <= args.take <= args.takes:
        raise CliError(f"--take must be between 1 and --takes ({args.takes}), not {args.take}")
    if args.top_k is not None and args.top_k < 0:
        raise CliError("--top-k must be 0 (all) or more")
    if not 1 <= args.fps <= 60:
        raise CliError("--fps must be between 1 and 60")
    max_mb = settings.max_mb if args.max_mb is None else args.max_mb
    if not (max_mb > 0 and math.isfinite(max_mb)):
        raise CliError("--max-mb must be a number above 0")
    if args.seed is not None and not -2**63 <= args.seed < 2**63:  # it is stored as a 64-bit integer
        raise CliError("--seed must be between -2**63 and 2**63-1")
    if args.model is not None and not args.model.exists():
        raise CliError(f"writer checkpoint {args.model} does not exist")
    if args.footage is not None and not args.demo and str(args.footage) != "library" and not args.footage.exists():
        raise CliError(f"footage {args.footage} does not exist (give a folder of clips, or: --footage library)")
    if args.footage is not None and not args.demo and args.footage.is_file():
        raise CliError(f"--footage takes a folder of clips; {args.footage} is a file (or add it with: "
                       f"bot.py footage add {args.footage}, then --footage library)")
    cast = None if not args.cast or args.demo else [n for n in args.cast]
    return {"brief": brief.to_dict(), "takes": args.takes, "take": args.take, "seed": args.seed,
            "temperature": args.temperature, "top_k": args.top_k,
            "model": str(args.model.resolve()) if args.model else None,
            "cast": None if cast == ["all"] else (cast or []), "cast_guild_id": 0,
            "footage": "shipped" if args.demo else ("library" if args.footage else None),
            "max_mb": max_mb, "size": [int(m[1]), int(m[2])], "fps": args.fps, "face_preset": args.faces}


def _check_cast(db, names: list[str]) -> None:
    """Named members exist and their photos are still readable (clear error before anything runs)."""
    from storage.cast import member_by_name

    for name in names:
        member = member_by_name(db, 0, name)
        if member is None:
            raise CliError(f"nobody called {name!r} is in the cast (add them with: bot.py cast add NAME PHOTO...)")
        missing = [p for p in member["photos"] if not Path(p).is_file()]
        if missing:
            raise CliError(f"{member['name']}'s photos are missing or unreadable ({', '.join(missing)}); "
                           f"add them again with: bot.py cast add {member['name']!r} PHOTO...")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from studio.briefs import start_brief

    brief = brief_from_args(args)
    payload = _payload(args, settings, brief)
    check_out_path(args.out, "the film")
    settings.ensure_home()
    db = _open(settings)
    if payload["cast"]:
        _check_cast(db, payload["cast"])
    stored = brief.to_dict()
    if args.cast_names:
        if payload["cast"] == []:
            raise CliError("--cast-names names the characters after the cast members who play them: "
                           "give them with --cast NAME... (or --cast all)")
        stored["extra"] = {"cast_names": True}
    if args.footage is not None and str(args.footage) != "library" and not args.demo:
        add_footage(db, settings, args.footage, show=not args.json)
    brief_id, job_id = start_brief(db, stored, takes=args.takes, source="cli", produce=payload)
    if args.detach:
        print(json.dumps({"job_id": job_id, "brief_id": brief_id}) if args.json else f"queued job {job_id}")
        return 0
    row = wait_for_job(settings, db, job_id, show=not args.json)
    return _report(args, settings, row)


def add_footage(db, settings: Settings, folder: Path, show: bool = True) -> None:
    """--footage DIR: its clips go into the footage library (resumable, duplicates skipped) before the film."""
    from bot.library import add_clips
    from engine.errors import FootageError

    def progress(p) -> None:
        if show and sys.stderr.isatty():
            sys.stderr.write(f"\rfootage {int(100 * p.fraction):3d}% {p.message[:60]:<60}")
            sys.stderr.flush()

    try:
        report = add_clips(db, settings, [folder], guild_id=0, on_progress=progress)
    except FootageError as e:
        raise CliError(str(e)) from None
    finally:
        if show and sys.stderr.isatty():
            sys.stderr.write("\n")
    if not report.added and not report.skipped:
        raise CliError(f"none of the {len(report.failed)} footage clip(s) could be read as video "
                       f"({'; '.join(report.failed)})")
    for line in report.lines():
        log.info("footage: %s", line)


def check_out_path(out: Path | None, what: str = "the film") -> None:
    """--out's folder exists (or is made) and takes a file, checked before any work (root ignores modes, so try)."""
    import tempfile

    if out is None:
        return
    folder = out if out.is_dir() else out.parent
    if folder.exists() and not folder.is_dir():
        raise CliError(f"cannot write {what} to {out}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise CliError(f"cannot write {what} to {out}: {e.strerror or e}") from None


def _open(settings: Settings):
    import sqlite3

    from storage.db import open_db

    try:
        return open_db(settings.db_path)
    except (sqlite3.Error, OSError) as e:
        raise CliError(f"cannot open the database {settings.db_path}: {e}") from None


def _report(args, settings: Settings, row: dict) -> int:
    from engine.errors import EngineError

    if row["status"] == "cancelled":
        print(f"bot.py make: job {row['id']} was cancelled", file=sys.stderr)
        return 130
    if row["status"] != "done":
        raise EngineError(f"{row['error'] or 'the job failed'} (job {row['id']} failed)")
    result = dict(row["result"])
    name = f"{row['id']}_{slug(row['payload']['brief']['title'])}.mp4"
    out = settings.home / "films" / name if args.out is None else args.out
    if out.is_dir():  # --out DIR: the film goes inside it under its usual name
        out = out / name
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.part")
        shutil.copyfile(result["film"], tmp)
        tmp.replace(out)
    except OSError as e:
        raise CliError(f"the film is at {result['film']} but could not be copied to {out}: {e.strerror or e}") from None
    result.update(job_id=row["id"], out=str(out.resolve()))
    if args.json:
        print(json.dumps(result))
        return 0
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in result.get("stages_s", {}).items())
    print(f"film: {result['out']}")
    print(f"  {result['duration_s']:.1f} s, {result['size_bytes'] / 2**20:.2f} MB, "
          f"take {result.get('take_index')} of {result.get('takes')} (score {_fmt(result.get('take_score'))})")
    print(f"  screenplay: {result.get('fountain')}" + (f"  pdf: {result['pdf']}" if result.get("pdf") else ""))
    if result.get("poster"):
        print(f"  poster: {result['poster']}")
    print(f"  stages: {stages}")
    for note in result.get("notes") or ():
        print(f"  note: {note}")
    return 0


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def wait_for_job(settings: Settings, db, job_id: int, show: bool = True, lease_s: float = 60) -> dict:
    """Start a worker thread, follow job ``job_id`` until it ends, return its final row."""
    from storage.jobs import FINISHED, cancel, get_job, queue
    from studio.worker import workers_for

    worker = workers_for(settings, lease_s=lease_s, poll_s=POLL_S)[0]  # here, or following a Celery worker
    thread, stop = worker.start_thread()
    bar = _Bar(sys.stderr) if show else None
    try:
        while True:
            row = get_job(db, job_id)
            if row["status"] == "queued":
                row["ahead"] = sum(1 for j in queue(db) if j["id"] < job_id or j["status"] == "running")
            if bar:
                bar.update(row)
            if row["status"] in FINISHED:
                return row
            if not thread.is_alive():
                raise RuntimeError("the worker thread stopped unexpectedly")
            time.sleep(POLL_S)
    except KeyboardInterrupt:  # Ctrl-C cancels the job; the worker stops at its next progress report
        cancel(db, job_id)
        raise
    finally:
        if bar:
            bar.close()
        stop.set()
        thread.join(timeout=10)


class _Bar:
    """A one-line bar per stage on a terminal; on a pipe, a plain line per stage and every 25%."""

    WIDTH = 24

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.stage = None
        self.last = ""
        self.quarter = -1

    def update(self, row: dict) -> None:
        stage = row["stage"] or ("waiting" if row["status"] == "queued" else "starting")
        if row["status"] == "queued" and row.get("ahead"):
            row = {**row, "message": f"{row['ahead']} job(s) ahead in the queue"}
        pct = int(round(100 * (row["fraction"] or 0.0)))
        eta = f" (about {row['eta_s']:.0f}s left)" if row.get("eta_s") else ""
        message = (row["message"] or "")[:60] + eta
        if stage != self.stage:
            self.close()
            self.stage, self.quarter = stage, -1
        if self.tty:
            filled = self.WIDTH * pct // 100
            line = f"{stage:>7} {pct:3d}% [{'#' * filled}{'.' * (self.WIDTH - filled)}] {message}"
            if line != self.last:
                self.stream.write("\r" + line[:118].ljust(len(self.last[:118])))
                self.stream.flush()
                self.last = line
        elif pct // 25 != self.quarter:
            self.quarter = pct // 25
            self.stream.write(f"{stage:>7} {pct:3d}% {message}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()
        self.last = ""
