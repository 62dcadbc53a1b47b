"""Challenges each server runs itself: schedules, challenges (one row per challenge, with its clock and
what was announced) and the server's own ingredient pool. Times are epoch seconds from the caller's clock.

Every announcement is claimed here before it is posted (:func:`claim_step`: a column set once, in one
transaction), so a restart or two callers at once never post the same step twice.
"""
from __future__ import annotations

import sqlite_utils

from storage.db import StorageError, dumps, immediate, loads, one
from storage.db import now as _now
from storage.settings import get_guild_setting, set_guild_setting

PHASES = ("open", "producing", "premiered", "failed", "ended")
ACTIVE_PHASES = ("open", "producing")
POOL_KINDS = ("title", "line", "prop", "science")
STEP_COLUMNS = ("announced_at", "reminded_at", "closed_at", "late_noted_at", "premiered_at", "ended_at")
OWN_POOL_KEY = "challenge_pool"  # guild setting: "own" once the server edits its pool (a copy of the shipped one)


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["estimate"] = loads(row.get("estimate"), {})
    return row


# ---- schedules --------------------------------------------------------------------------------------

def set_schedule(db: sqlite_utils.Database, guild_id: int, *, channel_id: int, cron: str, timezone: str,
                 hours: float, created_by: int = 0, origin: str = "discord", cast_names: bool = False) -> dict:
    """The server's one schedule, created or replaced (enabled); returns it. Its claimed slots carry over.
    ``cast_names``: its challenges name their parts after the server's cast."""
    t = _now()
    values = {"channel_id": channel_id, "cron": cron, "timezone": timezone, "hours": float(hours),
              "origin": origin, "enabled": 1, "created_by": created_by, "updated_at": t,
              "cast_names": int(bool(cast_names))}
    with immediate(db):
        row = get_schedule(db, guild_id)
        if row:
            db["challenge_schedules"].update(row["id"], values)
        else:
            db["challenge_schedules"].insert({"guild_id": guild_id, "created_at": t, **values})
        return get_schedule(db, guild_id)


def sync_env_schedule(db: sqlite_utils.Database, guild_id: int, *, channel_id: int, cron: str, timezone: str,
                      hours: float, last_slot_ts: float | None = None) -> dict | None:
    """The host-wide default (BENJAMIN_CHALLENGE_CRON/CHANNEL) as this server's schedule, unless the server's
    admins set or removed one from Discord (theirs wins). Returns the schedule that applies, or None."""
    with immediate(db):
        row = get_schedule(db, guild_id)
        if row and row["origin"] != "env":
            return row if row["enabled"] else None
        values = {"channel_id": channel_id, "cron": cron, "timezone": timezone, "hours": float(hours),
                  "updated_at": _now()}
        if row:
            db["challenge_schedules"].update(row["id"], values)
        else:
            db["challenge_schedules"].insert({"guild_id": guild_id, "origin": "env", "enabled": 1,
                                              "last_slot_ts": last_slot_ts, "created_at": _now(), **values})
        return get_schedule(db, guild_id)


def get_schedule(db: sqlite_utils.Database, guild_id: int) -> dict | None:
    return one(db, "SELECT * FROM challenge_schedules WHERE guild_id = ?", [guild_id])


def enabled_schedules(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT * FROM challenge_schedules WHERE enabled = 1 ORDER BY id"))


def disable_schedule(db: sqlite_utils.Database, guild_id: int) -> bool:
    """Stop the server's schedule (the env default does not come back on restart); False if none ran."""
    cur = db.execute("UPDATE challenge_schedules SET enabled = 0, origin = 'discord', updated_at = ? "
                     "WHERE guild_id = ? AND enabled = 1", [_now(), guild_id])
    return cur.rowcount == 1


def claim_slot(db: sqlite_utils.Database, schedule_id: int, slot_ts: float) -> bool:
    """Record that the start scheduled for ``slot_ts`` is being set; False if it (or a later one) already was."""
    cur = db.execute("UPDATE challenge_schedules SET last_slot_ts = ? WHERE id = ? AND enabled = 1 "
                     "AND (last_slot_ts IS NULL OR last_slot_ts < ?)", [slot_ts, schedule_id, slot_ts])
    return cur.rowcount == 1


# ---- challenges -------------------------------------------------------------------------------------

def create_challenge(db: sqlite_utils.Database, *, guild_id: int, channel_id: int, brief_id: int,
                     opened_at: float, remind_at: float, close_at: float, deadline: float, estimate: dict,
                     started_by: int = 0, schedule_id: int | None = None, slot_ts: float | None = None) -> int:
    """A new challenge in phase "open"; StorageError when the channel already runs one."""
    with immediate(db):
        running = active_in_channel(db, channel_id)
        if running:
            raise StorageError(f"challenge #{running['id']} is already running in that channel")
        row = db["challenges"].insert({
            "guild_id": guild_id, "channel_id": channel_id, "schedule_id": schedule_id, "slot_ts": slot_ts,
            "brief_id": brief_id, "phase": "open", "opened_at": opened_at, "remind_at": remind_at,
            "close_at": close_at, "deadline": deadline, "estimate": dumps(estimate), "started_by": started_by,
            "created_at": _now(), "updated_at": _now()})
        return int(row.last_pk)


def get_challenge(db: sqlite_utils.Database, challenge_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM challenges WHERE id = ?", [challenge_id]))


def active_challenges(db: sqlite_utils.Database) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM challenges WHERE phase IN ('open', 'producing') ORDER BY id")]


def active_in_channel(db: sqlite_utils.Database, channel_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM challenges WHERE channel_id = ? AND phase IN ('open', 'producing') "
                           "ORDER BY id DESC LIMIT 1", [channel_id]))


def active_in_guild(db: sqlite_utils.Database, guild_id: int) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM challenges WHERE guild_id = ? AND phase IN "
                                         "('open', 'producing') ORDER BY id", [guild_id])]


def latest_in_guild(db: sqlite_utils.Database, guild_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM challenges WHERE guild_id = ? ORDER BY id DESC LIMIT 1", [guild_id]))


def past_challenges(db: sqlite_utils.Database, guild_id: int, limit: int = 10) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM challenges WHERE guild_id = ? AND phase NOT IN "
                                         "('open', 'producing') ORDER BY id DESC LIMIT ?", [guild_id, limit])]


def claim_step(db: sqlite_utils.Database, challenge_id: int, column: str, at: float,
               phases: tuple[str, ...] = ACTIVE_PHASES, **values) -> bool:
    """Set ``column`` to ``at`` (and ``values``) once, while the challenge is in one of ``phases``; True only
    for the first caller. ``values`` may move the phase on in the same write."""
    if column not in STEP_COLUMNS:
        raise StorageError(f"not a challenge step: {column!r}")
    if "phase" in values and values["phase"] not in PHASES:
        raise StorageError(f"challenge phase must be one of {', '.join(PHASES)}, not {values['phase']!r}")
    sets = ", ".join(f"{k} = ?" for k in values)
    marks = ",".join("?" * len(phases))
    cur = db.execute(f"UPDATE challenges SET {column} = ?, {sets + ', ' if sets else ''}updated_at = ? "
                     f"WHERE id = ? AND {column} IS NULL AND phase IN ({marks})",
                     [at, *values.values(), _now(), challenge_id, *phases])
    return cur.rowcount == 1


def update_challenge(db: sqlite_utils.Database, challenge_id: int, **values) -> None:
    """Record facts found later (film job, premiere message, a note); not for claiming a step."""
    allowed = {"film_job_id", "premiere_message_id", "note", "phase"}
    if set(values) - allowed:
        raise StorageError(f"cannot set {sorted(set(values) - allowed)} on a challenge here")
    db["challenges"].update(challenge_id, {**values, "updated_at": _now()})


def held_film_job_ids(db: sqlite_utils.Database) -> set[int]:
    """Finished films that a running challenge premieres itself at its deadline (delivery leaves them alone;
    a failed or cancelled film is reported by delivery as usual)."""
    rows = db.query("SELECT j.id FROM jobs j JOIN challenges c ON c.brief_id = j.brief_id "
                    "WHERE j.kind = 'film' AND j.status = 'done' AND c.phase IN ('open', 'producing') "
                    "AND (c.film_job_id IS NULL OR c.film_job_id = j.id)")
    return {int(r["id"]) for r in rows}


def film_stage_samples(db: sqlite_utils.Database, last: int = 20) -> list[dict[str, float]]:
    """Measured stage times of the last finished film jobs: one {stage: seconds} per job, newest first.

    A stage lasts from its "stage" event to the next one (or the job's end); a job without stage events
    counts as one stage, "film", from its start to its end.
    """
    jobs = list(db.query("SELECT id, started_at, finished_at FROM jobs WHERE kind = 'film' AND status = 'done' "
                         "AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?", [last]))
    out = []
    for job in jobs:
        events = list(db.query("SELECT ts, data FROM job_events WHERE job_id = ? AND kind = 'stage' ORDER BY id",
                               [job["id"]]))
        if not events:
            out.append({"film": max(0.0, job["finished_at"] - job["started_at"])})
            continue
        stages: dict[str, float] = {}
        ends = [e["ts"] for e in events[1:]] + [job["finished_at"]]
        for e, end in zip(events, ends):
            name = loads(e["data"], {}).get("stage") or "film"
            stages[name] = stages.get(name, 0.0) + max(0.0, end - e["ts"])
        out.append(stages)
    return out


# ---- the server's pool ------------------------------------------------------------------------------

def pool_is_own(db: sqlite_utils.Database, guild_id: int) -> bool:
    return get_guild_setting(db, guild_id, OWN_POOL_KEY) == "own"


def pool_lists(db: sqlite_utils.Database, guild_id: int) -> dict[str, list[str]] | None:
    """The server's lists by kind, or None while it draws from the shipped ones."""
    if not pool_is_own(db, guild_id):
        return None
    out: dict[str, list[str]] = {k: [] for k in POOL_KINDS}
    for r in db.query("SELECT kind, text FROM challenge_pool WHERE guild_id = ? ORDER BY id", [guild_id]):
        out[r["kind"]].append(r["text"])
    return out


def _make_own(db: sqlite_utils.Database, guild_id: int, shipped: dict[str, list[str]]) -> None:
    if pool_is_own(db, guild_id):
        return
    t = _now()
    for kind in POOL_KINDS:
        for text in shipped.get(kind, ()):
            db.execute("INSERT OR IGNORE INTO challenge_pool (guild_id, kind, text, added_by, created_at) "
                       "VALUES (?, ?, ?, 0, ?)", [guild_id, kind, text, t])
    set_guild_setting(db, guild_id, OWN_POOL_KEY, "own")


def pool_add(db: sqlite_utils.Database, guild_id: int, kind: str, text: str, *, added_by: int,
             shipped: dict[str, list[str]]) -> bool:
    """Add to the server's pool (first copying the shipped lists into it); False when it is already there."""
    if kind not in POOL_KINDS:
        raise StorageError(f"pool kind must be one of {', '.join(POOL_KINDS)}, not {kind!r}")
    with immediate(db):
        _make_own(db, guild_id, shipped)
        cur = db.execute("INSERT OR IGNORE INTO challenge_pool (guild_id, kind, text, added_by, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", [guild_id, kind, text, added_by, _now()])
        return cur.rowcount == 1


def pool_remove(db: sqlite_utils.Database, guild_id: int, kind: str, text: str, *,
                shipped: dict[str, list[str]]) -> bool:
    """Remove from the server's pool (a copy of the shipped lists until then); False when it was not there."""
    with immediate(db):
        _make_own(db, guild_id, shipped)
        cur = db.execute("DELETE FROM challenge_pool WHERE guild_id = ? AND kind = ? AND text = ?",
                         [guild_id, kind, text])
        return cur.rowcount == 1
