"""The job queue: queued -> running -> done | failed | cancelled, with leases, heartbeats and events.

A worker :func:`claim`s a job (atomically, BEGIN IMMEDIATE), renews its lease with :func:`heartbeat`
while it works, counts durable work with :func:`save_point`, and ends it with :func:`finish` or :func:`fail`
(or gives it back with :func:`release` when it shuts down). A job whose worker died (lease expired) is
claimed again by the next :func:`claim`, with ``attempts`` incremented; only when its worker died
``max_attempts`` times in a row without a save point in between (a crash loop) is it failed instead.
Several processes may share one database.
"""
from __future__ import annotations

import sqlite_utils

from storage.db import StorageError, dumps, immediate, loads, now, one

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
KINDS = ("write", "film", "make", "train")
MAX_ATTEMPTS = 3  # worker deaths in a row without saved progress before a job is failed
# Rough first guesses (seconds) until finished jobs of a kind give a measured average.
DEFAULT_DURATION_S = {"write": 60.0, "film": 180.0, "make": 240.0, "train": 600.0}


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["payload"] = loads(row.get("payload"), {})
    row["result"] = loads(row.get("result"), None)
    return row


def enqueue(db: sqlite_utils.Database, kind: str, payload: dict, *, requester_id: int = 0, guild_id: int = 0,
            channel_id: int = 0, brief_id: int | None = None, max_attempts: int = MAX_ATTEMPTS) -> int:
    if kind not in KINDS:
        raise StorageError(f"job kind must be one of {', '.join(KINDS)}, not {kind!r}")
    t = now()
    with immediate(db):  # the job and its first event together
        row = db["jobs"].insert({"kind": kind, "payload": dumps(payload), "status": "queued", "attempts": 0,
                                 "max_attempts": max_attempts, "requester_id": requester_id, "guild_id": guild_id,
                                 "channel_id": channel_id, "brief_id": brief_id, "fraction": 0.0,
                                 "message": "queued", "created_at": t, "updated_at": t})
        job_id = int(row.last_pk)
        add_event(db, job_id, "queued", {"kind": kind})
    return job_id


def claim(db: sqlite_utils.Database, worker_id: str, *, lease_s: float = 60, kinds=None) -> dict | None:
    """Take the oldest queued job (or one whose worker's lease ran out) for ``worker_id``; None if none."""
    t = now()
    kinds = tuple(kinds) if kinds else KINDS
    marks = ",".join("?" * len(kinds))
    with immediate(db):
        _give_up_on_crash_loops(db, t)
        row = one(db, f"SELECT * FROM jobs WHERE kind IN ({marks}) AND (status = 'queued' OR "
                      f"(status = 'running' AND lease_expires < ?)) ORDER BY id LIMIT 1", [*kinds, t])
        if row is None:
            return None
        reclaimed = row["status"] == "running"
        stalls = row["stalls"] or 0
        if reclaimed:  # its worker died: a stall unless the job saved something since it was claimed
            stalls = stalls + 1 if row["save_points"] == row["claim_save_points"] else 0
        db.execute("UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1, "
                   "stalls = ?, claim_save_points = save_points, started_at = COALESCE(started_at, ?), "
                   "updated_at = ?, message = CASE WHEN ? THEN 'resumed after a worker stopped' ELSE 'started' END "
                   "WHERE id = ?", [worker_id, t + lease_s, stalls, t, t, reclaimed or row["attempts"] > 0, row["id"]])
        add_event(db, row["id"], "reclaimed" if reclaimed else "claimed",
                  {"worker": worker_id, "previous": row["lease_owner"], "attempt": row["attempts"] + 1,
                   "stalls": stalls})
        return get_job(db, row["id"])


def _give_up_on_crash_loops(db: sqlite_utils.Database, t: float) -> None:
    """Fail the jobs whose worker died again without the job saving anything since its last claim, for the
    ``max_attempts``-th time in a row. A job that keeps saving work survives any number of worker deaths."""
    dead = list(db.query("SELECT id, stage, stalls FROM jobs WHERE status = 'running' AND lease_expires < ? "
                         "AND save_points = claim_save_points AND stalls + 1 >= max_attempts", [t]))
    for row in dead:
        where = f" in the {row['stage']} stage" if row["stage"] else ""
        reason = (f"its worker stopped {row['stalls'] + 1} times in a row{where} without saving any progress "
                  "(a crash loop); giving up")
        db.execute("UPDATE jobs SET status = 'failed', error = ?, message = ?, finished_at = ?, updated_at = ?, "
                   "lease_owner = NULL, lease_expires = NULL WHERE id = ?", [reason, reason, t, t, row["id"]])
        add_event(db, row["id"], "failed", {"reason": reason})


def save_point(db: sqlite_utils.Database, job_id: int, worker_id: str, what: str = "") -> bool:
    """Count durable work the job just saved (a take, a line, a stage, a checkpoint); False if not ours."""
    cur = db.execute("UPDATE jobs SET save_points = save_points + 1, stalls = 0 "
                     "WHERE id = ? AND lease_owner = ? AND status = 'running'", [job_id, worker_id])
    return cur.rowcount == 1


def release(db: sqlite_utils.Database, job_id: int, worker_id: str) -> bool:
    """Give a running job back to the queue (its worker is shutting down): the next claim resumes it, and it
    does not count as a crash. False when it was no longer this worker's."""
    t = now()
    with immediate(db):
        ok = db.execute("UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires = NULL, updated_at = ?, "
                        "message = 'waiting: its worker stopped; it resumes where it was' "
                        "WHERE id = ? AND lease_owner = ? AND status = 'running'", [t, job_id, worker_id]).rowcount == 1
        if ok:
            add_event(db, job_id, "released", {"worker": worker_id})
    return ok


def heartbeat(db: sqlite_utils.Database, job_id: int, worker_id: str, lease_s: float = 60) -> bool:
    """Renew the lease; False when the job was cancelled, finished or taken over by another worker."""
    t = now()
    cur = db.execute("UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                     [t + lease_s, job_id, worker_id])
    return cur.rowcount == 1


def update_progress(db: sqlite_utils.Database, job_id: int, *, stage: str, fraction: float,
                    eta_s: float | None = None, message: str = "", preview=None) -> None:
    fraction = min(1.0, max(0.0, float(fraction)))
    db.execute("UPDATE jobs SET stage = ?, fraction = ?, eta_s = ?, message = ?, "
               "preview = COALESCE(?, preview), updated_at = ? WHERE id = ? AND status = 'running'",
               [stage, fraction, eta_s, message, str(preview) if preview else None, now(), job_id])


def finish(db: sqlite_utils.Database, job_id: int, result: dict, *, worker_id: str | None = None) -> bool:
    """Mark a running job done with ``result``; False if it was no longer running (or not ``worker_id``'s)."""
    return _end(db, job_id, "status = 'done', result = ?, fraction = 1.0, eta_s = 0, message = 'done'",
                [dumps(result)], ("running",), worker_id, "done", result)


def fail(db: sqlite_utils.Database, job_id: int, reason: str, *, worker_id: str | None = None) -> bool:
    """Mark a queued or running job failed, with a reason a user can read."""
    return _end(db, job_id, "status = 'failed', error = ?, message = ?", [reason, reason], ACTIVE, worker_id,
                "failed", {"reason": reason})


def cancel(db: sqlite_utils.Database, job_id: int) -> bool:
    """Cancel a queued or running job (a running one stops at its next progress report).

    The lease owner is kept, so the worker's heartbeat sees the job is no longer its to run."""
    return _end(db, job_id, "status = 'cancelled', message = 'cancelled'", [], ACTIVE, None, "cancelled", {},
                release_lease=False)


def _end(db: sqlite_utils.Database, job_id: int, sets: str, params: list, from_statuses: tuple,
         worker_id: str | None, event: str, data, *, release_lease: bool = True) -> bool:
    """Move a job from one of ``from_statuses`` to an end status (``sets``) and record ``event``, atomically;
    only ``worker_id``'s job when given. False when the job was not in such a state."""
    t = now()
    lease = "lease_owner = NULL, lease_expires = NULL" if release_lease else "lease_expires = NULL"
    marks = ",".join("?" * len(from_statuses))
    sql = f"UPDATE jobs SET {sets}, finished_at = ?, updated_at = ?, {lease} WHERE id = ? AND status IN ({marks})"
    params = [*params, t, t, job_id, *from_statuses]
    if worker_id is not None:
        sql += " AND lease_owner = ?"
        params.append(worker_id)
    with immediate(db):
        ok = db.execute(sql, params).rowcount == 1
        if ok:
            add_event(db, job_id, event, data)
    return ok


def get_job(db: sqlite_utils.Database, job_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM jobs WHERE id = ?", [job_id]))


def jobs_for_brief(db: sqlite_utils.Database, brief_id: int) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM jobs WHERE brief_id = ? ORDER BY id", [brief_id])]


def average_duration(db: sqlite_utils.Database, kind: str, last: int = 20) -> float:
    rows = list(db.query("SELECT finished_at - started_at AS d FROM jobs WHERE kind = ? AND status = 'done' "
                         "AND started_at IS NOT NULL ORDER BY id DESC LIMIT ?", [kind, last]))
    if not rows:
        return DEFAULT_DURATION_S.get(kind, 120.0)
    return sum(r["d"] for r in rows) / len(rows)


def queue(db: sqlite_utils.Database, workers: int = 1) -> list[dict]:
    """Running then queued jobs in the order they run, each with ``position`` (1 = first) and ``eta_s``.

    ``eta_s`` estimates seconds until the job is finished, assuming ``workers`` workers.
    """
    rows = [_decode(r) for r in db.query(
        "SELECT * FROM jobs WHERE status IN ('queued', 'running') "
        "ORDER BY CASE status WHEN 'running' THEN 0 ELSE 1 END, id")]
    averages: dict[str, float] = {}
    backlog = 0.0
    for i, row in enumerate(rows, start=1):
        avg = averages.setdefault(row["kind"], average_duration(db, row["kind"]))
        if row["status"] == "running":
            left = row["eta_s"] if row["eta_s"] is not None else avg * (1.0 - (row["fraction"] or 0.0))
            row["eta_s"] = max(0.0, left)
        else:
            row["eta_s"] = backlog / max(1, workers) + avg
            left = avg
        backlog += left
        row["position"] = i
    return rows


def user_active_count(db: sqlite_utils.Database, user_id: int) -> int:
    row = one(db, "SELECT COUNT(*) AS n FROM jobs WHERE requester_id = ? AND status IN ('queued', 'running')",
              [user_id])
    return int(row["n"])


def set_progress_message(db: sqlite_utils.Database, job_id: int, channel_id: int, message_id: int) -> None:
    db.execute("UPDATE jobs SET progress_channel_id = ?, progress_message_id = ? WHERE id = ?",
               [channel_id, message_id, job_id])


def jobs_with_progress_messages(db: sqlite_utils.Database) -> list[dict]:
    """Jobs with a progress message that are not yet finished-and-reported."""
    return [_decode(r) for r in db.query(
        "SELECT * FROM jobs WHERE progress_message_id IS NOT NULL AND posted_at IS NULL ORDER BY id")]


def mark_posted(db: sqlite_utils.Database, job_id: int, message_id: int | None = None) -> bool:
    """Exactly once: True only for the first caller that reports this job's outcome."""
    cur = db.execute("UPDATE jobs SET posted_at = ?, posted_message_id = ? WHERE id = ? AND posted_at IS NULL",
                     [now(), message_id, job_id])
    return cur.rowcount == 1


def finished_unposted(db: sqlite_utils.Database, kinds=None) -> list[dict]:
    kinds = tuple(kinds) if kinds else KINDS
    marks = ",".join("?" * len(kinds))
    return [_decode(r) for r in db.query(
        f"SELECT * FROM jobs WHERE status IN ('done', 'failed', 'cancelled') AND posted_at IS NULL "
        f"AND kind IN ({marks}) ORDER BY finished_at, id", list(kinds))]


def add_event(db: sqlite_utils.Database, job_id: int, kind: str, data=None) -> None:
    db["job_events"].insert({"job_id": job_id, "ts": now(), "kind": kind, "data": dumps(data or {})})


def events(db: sqlite_utils.Database, job_id: int) -> list[dict]:
    rows = db.query("SELECT * FROM job_events WHERE job_id = ? ORDER BY id", [job_id])
    return [{**r, "data": loads(r["data"], {})} for r in rows]


def active_of_kind(db: sqlite_utils.Database, kind: str, guild_id: int) -> list[dict]:
    """A guild's queued or running jobs of one kind, oldest first."""
    return [_decode(r) for r in db.query("SELECT * FROM jobs WHERE kind = ? AND guild_id = ? AND status IN "
                                         "('queued', 'running') ORDER BY id", [kind, guild_id])]


def latest_of_kind(db: sqlite_utils.Database, kind: str, guild_id: int) -> dict | None:
    """A guild's newest job of one kind, whatever its status."""
    return _decode(one(db, "SELECT * FROM jobs WHERE kind = ? AND guild_id = ? ORDER BY id DESC LIMIT 1",
                       [kind, guild_id]))
