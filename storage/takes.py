"""Takes: the screenplays written for a brief. ``index`` is the take's number within its brief."""
from __future__ import annotations

import sqlite_utils

from storage.db import dumps, immediate, loads, now, one


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["summary"] = loads(row.get("summary"), {})
    row["index"] = row["take_index"]
    return row


def add_take(db: sqlite_utils.Database, brief_id: int, *, index: int, fountain_path: str, pdf_path: str | None,
             seed: int | None, score: float | None, summary: dict | None = None) -> int:
    """Store take ``index`` of a brief; adding the same index again updates it and keeps its id."""
    with immediate(db):
        row = one(db, "SELECT id FROM takes WHERE brief_id = ? AND take_index = ?", [brief_id, index])
        values = {"fountain_path": str(fountain_path), "pdf_path": str(pdf_path) if pdf_path else None,
                  "seed": seed, "score": score, "summary": dumps(summary or {})}
        if row:
            db["takes"].update(row["id"], values)
            return int(row["id"])
        row = db["takes"].insert({"brief_id": brief_id, "take_index": index, "created_at": now(), **values})
        return int(row.last_pk)


def takes_for_brief(db: sqlite_utils.Database, brief_id: int) -> list[dict]:
    return [_decode(r) for r in db.query("SELECT * FROM takes WHERE brief_id = ? ORDER BY take_index", [brief_id])]


def get_take(db: sqlite_utils.Database, take_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM takes WHERE id = ?", [take_id]))


def set_take_message(db: sqlite_utils.Database, take_id: int, message_id: int) -> None:
    db.execute("UPDATE takes SET message_id = ? WHERE id = ?", [message_id, take_id])


def take_by_message(db: sqlite_utils.Database, message_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM takes WHERE message_id = ?", [message_id]))


def best_take(db: sqlite_utils.Database, brief_id: int) -> dict | None:
    """The highest-scoring take (lowest index on a tie)."""
    takes = takes_for_brief(db, brief_id)
    if not takes:
        return None
    return max(takes, key=lambda t: (t["score"] if t["score"] is not None else float("-inf"), -t["index"]))
