"""The footage library, per guild (guild 0 is the local CLI): clips, their shots, and the actors seen in them.

A clip row is written when its ingest starts (status "ingesting", with its shot spans) and each shot as it
is analysed, so an interrupted ingest resumes at the first missing shot; "done" when every shot is in.
Actors are library-wide identities (a running mean of their 128-d face embeddings).
"""
from __future__ import annotations

import re
from typing import Callable

import sqlite_utils

from storage.db import StorageError, dumps, immediate, loads, now, one

Matcher = Callable[[list[float], list[tuple[int, list[float]]]], "int | None"]
CLIP_COLUMNS = ("path", "name", "credit", "licence", "duration", "fps", "variable_fps", "width", "height",
                "rotation", "has_audio", "size_bytes")


def _clip(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["spans"] = loads(row.get("spans"), [])
    row["variable_fps"], row["has_audio"] = bool(row["variable_fps"]), bool(row["has_audio"])
    return row


def _shot(row: dict) -> dict:
    row = dict(row)
    row["actors"] = loads(row.get("actors"), [])
    return row


def find_clip(db: sqlite_utils.Database, guild_id: int, content_hash: str) -> dict | None:
    return _clip(one(db, "SELECT * FROM footage_clips WHERE guild_id = ? AND hash = ?", [guild_id, content_hash]))


def get_clip(db: sqlite_utils.Database, clip_id: int) -> dict | None:
    return _clip(one(db, "SELECT * FROM footage_clips WHERE id = ?", [clip_id]))


def start_clip(db: sqlite_utils.Database, guild_id: int, content_hash: str, values: dict,
               spans: list[tuple[float, float]]) -> int:
    """Record a clip whose ingest begins (or return the id of the one already started with this hash)."""
    unknown = set(values) - set(CLIP_COLUMNS)
    if unknown:
        raise StorageError(f"unknown clip fields: {', '.join(sorted(unknown))}")
    with immediate(db):
        row = find_clip(db, guild_id, content_hash)
        if row:
            return int(row["id"])
        t = now()
        return int(db["footage_clips"].insert({
            "guild_id": guild_id, "hash": content_hash, **values, "spans": dumps([list(s) for s in spans]),
            "status": "ingesting", "created_at": t, "updated_at": t}).last_pk)


def done_shots(db: sqlite_utils.Database, clip_id: int) -> set[int]:
    return {int(r["shot_index"]) for r in db["footage_shots"].rows_where("clip_id = ?", [clip_id])}


def record_shot(db: sqlite_utils.Database, clip_id: int, shot: dict, faces: list[dict], match: Matcher) -> list[int]:
    """Store one analysed shot and the actors in it; returns their ids, largest face first.

    ``shot``: shot_index, start, end, framing, thumbnail. ``faces``: each {"embedding": [128 floats],
    "thumbnail": path}. ``match(embedding, [(actor id, mean embedding)])`` names the known actor it is,
    or None for a new one. One transaction: the shot and its actors are stored together or not at all."""
    with immediate(db):
        clip = get_clip(db, clip_id)
        if clip is None:
            raise StorageError(f"no footage clip {clip_id}")
        existing = one(db, "SELECT actors FROM footage_shots WHERE clip_id = ? AND shot_index = ?",
                       [clip_id, shot["shot_index"]])
        if existing:  # already recorded (a resumed ingest that raced another)
            return loads(existing["actors"], [])
        ids = [_match_or_add(db, clip["guild_id"], face, match) for face in faces]
        ids = list(dict.fromkeys(ids))  # two faces of one actor in a shot count once
        db["footage_shots"].insert({"clip_id": clip_id, "shot_index": shot["shot_index"], "start": shot["start"],
                                    "end": shot["end"], "framing": shot["framing"], "faces": len(faces),
                                    "thumbnail": shot.get("thumbnail"), "actors": dumps(ids)})
        db["footage_clips"].update(clip_id, {"updated_at": now()})
        return ids


def _match_or_add(db: sqlite_utils.Database, guild_id: int, face: dict, match: Matcher) -> int:
    emb = [float(x) for x in face["embedding"]]
    known = [(int(a["id"]), a["embedding"]) for a in list_actors(db, guild_id)]
    actor_id = match(emb, known)
    if actor_id is None:
        return int(db["footage_actors"].insert({
            "guild_id": guild_id, "name": f"Actor {_next_number(db, guild_id)}", "embedding": dumps(emb),
            "samples": 1, "thumbnail": face.get("thumbnail"), "created_at": now()}).last_pk)
    actor = db["footage_actors"].get(actor_id)
    n = int(actor["samples"] or 1)
    mean = [(m * n + e) / (n + 1) for m, e in zip(loads(actor["embedding"]), emb)]
    db["footage_actors"].update(actor_id, {"embedding": dumps(mean), "samples": n + 1})
    return actor_id


def _next_number(db: sqlite_utils.Database, guild_id: int) -> int:
    numbers = [int(m[1]) for a in db["footage_actors"].rows_where("guild_id = ?", [guild_id])
               if (m := re.fullmatch(r"Actor (\d+)", a["name"] or ""))]
    return max(numbers, default=0) + 1


def finish_clip(db: sqlite_utils.Database, clip_id: int) -> None:
    db["footage_clips"].update(clip_id, {"status": "done", "updated_at": now()})


def list_clips(db: sqlite_utils.Database, guild_id: int, include_unfinished: bool = True) -> list[dict]:
    """Clips in the order they were added, each with its shots (and the actors in them)."""
    where = "guild_id = ?" + ("" if include_unfinished else " AND status = 'done'")
    clips = [_clip(r) for r in db["footage_clips"].rows_where(where, [guild_id], order_by="id")]
    for clip in clips:
        clip["shots"] = clip_shots(db, clip["id"])
    return clips


def clip_shots(db: sqlite_utils.Database, clip_id: int) -> list[dict]:
    return [_shot(r) for r in db["footage_shots"].rows_where("clip_id = ?", [clip_id], order_by="shot_index")]


def list_actors(db: sqlite_utils.Database, guild_id: int) -> list[dict]:
    rows = [dict(r) for r in db["footage_actors"].rows_where("guild_id = ?", [guild_id], order_by="id")]
    for r in rows:
        r["embedding"] = loads(r["embedding"], [])
    return rows


def find_clips(db: sqlite_utils.Database, guild_id: int, ref: str) -> list[dict]:
    """Clips matching an id (``7``), a name, or a hash prefix of at least 8 characters."""
    ref = ref.strip()
    clips = list_clips(db, guild_id)
    if ref.isdigit():
        hit = [c for c in clips if c["id"] == int(ref)]
        if hit:
            return hit
    hit = [c for c in clips if (c["name"] or "").casefold() == ref.casefold()]
    if not hit and len(ref) >= 8:
        hit = [c for c in clips if c["hash"].startswith(ref.lower())]
    return hit


def remove_clip(db: sqlite_utils.Database, clip_id: int) -> list[dict]:
    """Delete a clip and its shots, and the actors seen nowhere else; returns the removed actors' rows."""
    with immediate(db):
        clip = get_clip(db, clip_id)
        if clip is None:
            raise StorageError(f"no footage clip {clip_id}")
        db.execute("DELETE FROM footage_shots WHERE clip_id = ?", [clip_id])
        db["footage_clips"].delete(clip_id)
        seen = {a for s in db.query("SELECT actors FROM footage_shots s JOIN footage_clips c ON c.id = s.clip_id "
                                    "WHERE c.guild_id = ?", [clip["guild_id"]]) for a in loads(s["actors"], [])}
        orphans = [a for a in list_actors(db, clip["guild_id"]) if a["id"] not in seen]
        for a in orphans:
            db["footage_actors"].delete(a["id"])
        return orphans
