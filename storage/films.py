"""Films: the rendered mp4 of a job (one per job)."""
from __future__ import annotations

import sqlite_utils

from storage.db import immediate, now, one


def add_film(db: sqlite_utils.Database, job_id: int, *, path: str, duration_s: float, size_bytes: int,
             poster: str | None, brief_id: int | None = None, take_id: int | None = None) -> int:
    """Record a job's film; recording it again updates the one row (a resumed job never duplicates)."""
    values = {"path": str(path), "duration_s": float(duration_s), "size_bytes": int(size_bytes),
              "poster": str(poster) if poster else None, "brief_id": brief_id, "take_id": take_id}
    with immediate(db):
        row = one(db, "SELECT id FROM films WHERE job_id = ?", [job_id])
        if row:
            db["films"].update(row["id"], values)
            return int(row["id"])
        row = db["films"].insert({"job_id": job_id, "created_at": now(), **values})
        return int(row.last_pk)


def film_for_job(db: sqlite_utils.Database, job_id: int) -> dict | None:
    return one(db, "SELECT * FROM films WHERE job_id = ?", [job_id])


def films_for_brief(db: sqlite_utils.Database, brief_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM films WHERE brief_id = ? ORDER BY id", [brief_id]))
