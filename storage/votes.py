"""Votes: one per user per brief; voting for another take moves the vote."""
from __future__ import annotations

import sqlite_utils

from storage.db import immediate, now, one


def cast_vote(db: sqlite_utils.Database, brief_id: int, user_id: int, take_id: int) -> None:
    db.execute("INSERT INTO votes (brief_id, user_id, take_id, cast_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (brief_id, user_id) DO UPDATE SET take_id = excluded.take_id, cast_at = excluded.cast_at",
               [brief_id, user_id, take_id, now()])


def withdraw_vote(db: sqlite_utils.Database, brief_id: int, user_id: int, take_id: int) -> bool:
    """Remove the user's vote only when it is currently on ``take_id``; True when one was removed."""
    cur = db.execute("DELETE FROM votes WHERE brief_id = ? AND user_id = ? AND take_id = ?",
                     [brief_id, user_id, take_id])
    return cur.rowcount == 1


def user_vote(db: sqlite_utils.Database, brief_id: int, user_id: int) -> int | None:
    row = one(db, "SELECT take_id FROM votes WHERE brief_id = ? AND user_id = ?", [brief_id, user_id])
    return row["take_id"] if row else None


def tally(db: sqlite_utils.Database, brief_id: int) -> dict[int, int]:
    """take_id -> votes for every take of the brief, takes with no votes included."""
    rows = db.query("SELECT t.id AS take_id, COUNT(v.user_id) AS n FROM takes t "
                    "LEFT JOIN votes v ON v.take_id = t.id AND v.brief_id = t.brief_id "
                    "WHERE t.brief_id = ? GROUP BY t.id ORDER BY t.take_index", [brief_id])
    return {int(r["take_id"]): int(r["n"]) for r in rows}


def winner(db: sqlite_utils.Database, brief_id: int, tiebreak_take_id: int | None = None) -> int | None:
    """The take with most votes; a tie goes to ``tiebreak_take_id`` if tied, else the lowest take index."""
    with immediate(db):
        counts = tally(db, brief_id)
        if not counts:
            return None
        top = max(counts.values())
        tied = [t for t, n in counts.items() if n == top]  # already in take-index order
    if tiebreak_take_id in tied:
        return tiebreak_take_id
    return tied[0]


def votes_for_brief(db: sqlite_utils.Database, brief_id: int) -> dict[int, int]:
    """Who voted for which take: user id -> take id."""
    return {r["user_id"]: r["take_id"] for r in db["votes"].rows_where("brief_id = ?", [brief_id])}
