"""Briefs: what a challenge asked for, who asked, and where it stands."""
from __future__ import annotations

import sqlite_utils

from storage.db import StorageError, dumps, loads, one
from storage.db import now as _now

STATUSES = ("writing", "voting", "producing", "done", "posted", "failed", "cancelled")  # see studio.life


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["brief"] = loads(row.get("brief"), {})
    return row


def create_brief(db: sqlite_utils.Database, brief: dict, *, guild_id: int = 0, channel_id: int = 0,
                 requester_id: int = 0, source: str = "cli") -> int:
    """Store a brief (a dict, e.g. ``Brief.to_dict()``); returns its id. Status starts at "writing"."""
    t = _now()
    table = db["briefs"]
    row = table.insert({"guild_id": guild_id, "channel_id": channel_id, "requester_id": requester_id,
                        "source": source, "brief": dumps(dict(brief)), "status": "writing",
                        "created_at": t, "updated_at": t})
    return int(row.last_pk)


def get_brief(db: sqlite_utils.Database, brief_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM briefs WHERE id = ?", [brief_id]))


def set_brief_status(db: sqlite_utils.Database, brief_id: int, status: str) -> None:
    if status not in STATUSES:
        raise StorageError(f"brief status must be one of {', '.join(STATUSES)}, not {status!r}")
    db.execute("UPDATE briefs SET status = ?, updated_at = ? WHERE id = ?", [status, _now(), brief_id])


def set_vote_deadline(db: sqlite_utils.Database, brief_id: int, ts: float) -> None:
    db.execute("UPDATE briefs SET vote_deadline = ?, updated_at = ? WHERE id = ?", [ts, _now(), brief_id])


def briefs_voting_due(db: sqlite_utils.Database, now: float) -> list[dict]:
    """Briefs still voting whose deadline has passed, oldest deadline first."""
    rows = db.query("SELECT * FROM briefs WHERE status = 'voting' AND vote_deadline IS NOT NULL "
                    "AND vote_deadline <= ? ORDER BY vote_deadline, id", [now])
    return [_decode(r) for r in rows]


def set_brief_message(db: sqlite_utils.Database, brief_id: int, message_id: int) -> None:
    db.execute("UPDATE briefs SET message_id = ?, updated_at = ? WHERE id = ?", [message_id, _now(), brief_id])


def briefs_with_status(db: sqlite_utils.Database, status: str) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM briefs WHERE status = ? ORDER BY id", [status])]
