"""`python bot.py jobs`: the queue, one job's details, and cancel (the CLI's /queue, /job info, /cancel)."""
from __future__ import annotations

import argparse
import json
import time

from bot.cli import CliError
from bot.settings import Settings

NAME = "jobs"
HELP = "list queued and running jobs; `jobs info ID`, `jobs cancel ID`"
ORDER = 45


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "info", "cancel"), default="list")
    parser.add_argument("job_id", nargs="?", type=int, help="the job, for info and cancel")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from storage import jobs
    from storage.db import open_db

    settings.ensure_home()
    db = open_db(settings.db_path)
    if args.action == "list":
        rows = jobs.queue(db)
        _out(args, rows, lambda: [_line(j) for j in rows] or ["no jobs queued or running"])
        return 0
    if args.job_id is None:
        raise CliError(f"`jobs {args.action}` needs a job id (see `bot.py jobs`)")
    job = jobs.get_job(db, args.job_id)
    if job is None:
        raise CliError(f"there is no job {args.job_id}")
    if args.action == "cancel":
        if not jobs.cancel(db, args.job_id):
            raise CliError(f"job {args.job_id} is already {job['status']}; nothing to cancel")
        job = jobs.get_job(db, args.job_id)
    _out(args, job, lambda: _details(job))
    return 0


def _out(args, data, text_lines) -> None:
    print(json.dumps(data, default=str, indent=2) if args.json else "\n".join(text_lines()))


def _line(j: dict) -> str:
    eta = f", about {_dur(j['eta_s'])} left" if j.get("eta_s") else ""
    stage = f" {j['stage']} {round(100 * (j.get('fraction') or 0))}%" if j.get("stage") else ""
    return f"{j['position']}. job {j['id']} · {j['kind']} · {j['status']}{stage}{eta}"


def _details(j: dict) -> list[str]:
    lines = [f"job {j['id']} · {j['kind']} · {j['status']}"]
    if j.get("stage"):
        lines.append(f"stage: {j['stage']} {round(100 * (j.get('fraction') or 0))}% {j.get('message') or ''}".rstrip())
    if j.get("error"):
        lines.append(f"reason: {j['error']}")
    lines.append(f"attempts: {j.get('attempts', 0)}; queued {_ago(j.get('created_at'))}")
    for key, value in (j.get("payload") or {}).items():
        lines.append(f"  {key}: {json.dumps(value, default=str)[:200]}")
    if j.get("result"):
        lines.append(f"result: {json.dumps(j['result'], default=str)[:500]}")
    return lines


def _dur(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _ago(ts: float | None) -> str:
    return f"{_dur(max(0.0, time.time() - ts))} ago" if ts else "at an unknown time"
