"""Open the one SQLite database (WAL, busy timeout) and bring its schema up to date.

Call :func:`open_db` once per thread or process and keep that connection there: a sqlite3
connection is not safe to share between concurrent writers (``check_same_thread=False`` only
silences the check). WAL lets readers run beside one writer; ``busy_timeout`` makes a second
writer wait instead of failing.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another writer's lock

migrations = Migrations("benjamin")


class StorageError(Exception):
    """A row is missing or a value is not allowed."""


def open_db(path: str | Path | None) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path``; None gives an in-memory one."""
    if path is None or str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    # isolation_level=None: no implicit transactions; db.atomic() / immediate() open them explicitly.
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if path is not None and str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn)
    if migrations.pending(db):
        with immediate(db):  # one process migrates at a time; the others then find nothing pending
            migrations.apply(db)
    return db


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the lock up front (BEGIN IMMEDIATE): read-then-write is atomic."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def now() -> float:
    return time.time()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def loads(text, default=None):
    if text is None or text == "":
        return default
    return json.loads(text)


def one(db: sqlite_utils.Database, sql: str, params=()) -> dict | None:
    """The first row of a query as a dict, or None."""
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


# ---- schema -------------------------------------------------------------------------------------

@migrations(name="0001_initial")
def _m0001(db: sqlite_utils.Database) -> None:
    db["briefs"].create({
        "id": int, "guild_id": int, "channel_id": int, "requester_id": int, "source": str,
        "brief": str, "status": str, "vote_deadline": float, "message_id": int,
        "created_at": float, "updated_at": float,
    }, pk="id", not_null={"brief", "status"}, defaults={"status": "writing", "guild_id": 0,
                                                         "channel_id": 0, "requester_id": 0})
    db["briefs"].create_index(["status", "vote_deadline"])
    db["takes"].create({
        "id": int, "brief_id": int, "take_index": int, "fountain_path": str, "pdf_path": str,
        "seed": int, "score": float, "summary": str, "message_id": int, "created_at": float,
    }, pk="id", foreign_keys=[("brief_id", "briefs", "id")])
    db["takes"].create_index(["brief_id", "take_index"], unique=True)
    db["takes"].create_index(["message_id"])
    db["votes"].create({
        "brief_id": int, "user_id": int, "take_id": int, "cast_at": float,
    }, pk=("brief_id", "user_id"), foreign_keys=[("brief_id", "briefs", "id"), ("take_id", "takes", "id")])
    db["jobs"].create({
        "id": int, "kind": str, "payload": str, "status": str, "stage": str, "fraction": float,
        "eta_s": float, "message": str, "preview": str, "attempts": int, "max_attempts": int,
        "lease_owner": str, "lease_expires": float, "requester_id": int, "guild_id": int,
        "channel_id": int, "brief_id": int, "result": str, "error": str,
        "progress_channel_id": int, "progress_message_id": int, "posted_at": float,
        "posted_message_id": int, "created_at": float, "started_at": float,
        "updated_at": float, "finished_at": float,
    }, pk="id", not_null={"kind", "status"},
        defaults={"status": "queued", "attempts": 0, "max_attempts": 3, "fraction": 0.0,
                  "message": "", "requester_id": 0, "guild_id": 0, "channel_id": 0})
    db["jobs"].create_index(["status", "id"])
    db["jobs"].create_index(["requester_id", "status"])
    db["job_events"].create({
        "id": int, "job_id": int, "ts": float, "kind": str, "data": str,
    }, pk="id", foreign_keys=[("job_id", "jobs", "id")])
    db["job_events"].create_index(["job_id", "id"])
    db["cast_members"].create({
        "id": int, "guild_id": int, "user_id": int, "name": str, "photos": str, "voice": str,
        "consented_by": int, "created_at": float, "updated_at": float,
    }, pk="id", not_null={"name"})
    db["cast_members"].create_index(["guild_id", "user_id"], unique=True)
    db["consent_requests"].create({
        "id": int, "guild_id": int, "user_id": int, "requested_by": int, "photos": str,
        "status": str, "created_at": float, "resolved_at": float,
    }, pk="id", defaults={"status": "pending"})
    db["films"].create({
        "id": int, "job_id": int, "brief_id": int, "take_id": int, "path": str,
        "duration_s": float, "size_bytes": int, "poster": str, "created_at": float,
    }, pk="id", foreign_keys=[("job_id", "jobs", "id")])
    db["films"].create_index(["job_id"], unique=True)
    db["guild_settings"].create({
        "guild_id": int, "key": str, "value": str, "updated_at": float,
    }, pk=("guild_id", "key"))


@migrations(name="0002_footage")
def _m0002(db: sqlite_utils.Database) -> None:
    db["footage_clips"].create({
        "id": int, "guild_id": int, "hash": str, "path": str, "name": str, "credit": str, "licence": str,
        "duration": float, "fps": float, "variable_fps": int, "width": int, "height": int, "rotation": int,
        "has_audio": int, "size_bytes": int, "spans": str, "status": str, "created_at": float, "updated_at": float,
    }, pk="id", not_null={"hash", "path", "status"}, defaults={"status": "ingesting", "guild_id": 0,
                                                              "credit": "", "licence": ""})
    db["footage_clips"].create_index(["guild_id", "hash"], unique=True)
    db["footage_actors"].create({
        "id": int, "guild_id": int, "name": str, "embedding": str, "samples": int, "thumbnail": str,
        "created_at": float,
    }, pk="id", not_null={"name", "embedding"}, defaults={"guild_id": 0, "samples": 0})
    db["footage_actors"].create_index(["guild_id"])
    db["footage_shots"].create({
        "id": int, "clip_id": int, "shot_index": int, "start": float, "end": float, "framing": str,
        "faces": int, "thumbnail": str, "actors": str,
    }, pk="id", foreign_keys=[("clip_id", "footage_clips", "id")], defaults={"faces": 0, "actors": "[]"})
    db["footage_shots"].create_index(["clip_id", "shot_index"], unique=True)


@migrations(name="challenges_0001")
def _challenges_0001(db: sqlite_utils.Database) -> None:
    # A server's weekly (crontab) challenge; last_slot_ts: the latest scheduled start already claimed.
    db["challenge_schedules"].create({
        "id": int, "guild_id": int, "channel_id": int, "cron": str, "timezone": str, "hours": float,
        "origin": str, "enabled": int, "last_slot_ts": float, "created_by": int,
        "created_at": float, "updated_at": float,
    }, pk="id", not_null={"guild_id", "channel_id", "cron", "timezone"},
        defaults={"enabled": 1, "origin": "discord", "created_by": 0})
    db["challenge_schedules"].create_index(["guild_id"], unique=True)
    # One challenge: its brief, its clock (opened → close_at → deadline) and what has been announced.
    db["challenges"].create({
        "id": int, "guild_id": int, "channel_id": int, "schedule_id": int, "slot_ts": float,
        "brief_id": int, "phase": str, "opened_at": float, "close_at": float, "remind_at": float,
        "deadline": float, "estimate": str, "film_job_id": int, "started_by": int,
        "announced_at": float, "reminded_at": float, "closed_at": float, "late_noted_at": float,
        "premiered_at": float, "premiere_message_id": int, "ended_at": float, "ended_by": int, "note": str,
        "created_at": float, "updated_at": float,
    }, pk="id", not_null={"guild_id", "channel_id", "phase", "deadline"}, defaults={"started_by": 0},
        foreign_keys=[("brief_id", "briefs", "id")])
    db["challenges"].create_index(["phase"])
    db["challenges"].create_index(["guild_id", "id"])
    db["challenges"].create_index(["brief_id"])
    db["challenges"].create_index(["schedule_id", "slot_ts"], unique=True)
    # A server's own ingredient lists (titles, lines, props, science); none of a kind: the shipped list.
    db["challenge_pool"].create({
        "id": int, "guild_id": int, "kind": str, "text": str, "added_by": int, "created_at": float,
    }, pk="id", not_null={"guild_id", "kind", "text"})
    db["challenge_pool"].create_index(["guild_id", "kind", "text"], unique=True)


@migrations(name="jobs_0001_save_points")
def _jobs_0001_save_points(db: sqlite_utils.Database) -> None:
    # save_points: durable work saved so far (takes, lines, stages, checkpoints); claim_save_points: the count
    # when the job was last claimed; stalls: claims in a row that found no new save point (a crash loop).
    db["jobs"].add_column("save_points", int, not_null_default=0)
    db["jobs"].add_column("claim_save_points", int, not_null_default=0)
    db["jobs"].add_column("stalls", int, not_null_default=0)


@migrations(name="challenges_0002_cast_names")
def _challenges_0002_cast_names(db: sqlite_utils.Database) -> None:
    # a schedule's challenges name their parts after the server's cast (as /challenge start cast_names does)
    db["challenge_schedules"].add_column("cast_names", int, not_null_default=0)
