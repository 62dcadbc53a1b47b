"""Cast members: people who agreed to appear (photos, chosen voice), per guild. Guild 0 is the local CLI.

Only consenting members are stored here; an admin adding someone else goes through a consent request
that the person resolves themselves.
"""
from __future__ import annotations

import sqlite_utils

from storage.db import dumps, immediate, loads, now, one


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    row["photos"] = loads(row.get("photos"), [])
    return row


def add_member(db: sqlite_utils.Database, *, guild_id: int, user_id: int, name: str, photos: list[str],
               voice: str | None = None, consented_by: int) -> int:
    """Add or update (per guild + user) a cast member; returns the row id."""
    t = now()
    values = {"name": name, "photos": dumps([str(p) for p in photos]), "voice": voice,
              "consented_by": consented_by, "updated_at": t}
    with immediate(db):
        row = one(db, "SELECT id FROM cast_members WHERE guild_id = ? AND user_id = ?", [guild_id, user_id])
        if row:
            db["cast_members"].update(row["id"], values)
            return int(row["id"])
        row = db["cast_members"].insert({"guild_id": guild_id, "user_id": user_id, "created_at": t, **values})
        return int(row.last_pk)


def remove_member(db: sqlite_utils.Database, guild_id: int, user_id: int) -> bool:
    cur = db.execute("DELETE FROM cast_members WHERE guild_id = ? AND user_id = ?", [guild_id, user_id])
    return cur.rowcount > 0


def list_members(db: sqlite_utils.Database, guild_id: int) -> list[dict]:
    return [_decode(r) for r in db.query(
        "SELECT * FROM cast_members WHERE guild_id = ? ORDER BY created_at, id", [guild_id])]


def get_member(db: sqlite_utils.Database, guild_id: int, user_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM cast_members WHERE guild_id = ? AND user_id = ?", [guild_id, user_id]))


def member_by_name(db: sqlite_utils.Database, guild_id: int, name: str) -> dict | None:
    """Case-insensitive lookup by name (the local CLI names people rather than Discord ids)."""
    for row in list_members(db, guild_id):
        if row["name"].casefold() == name.casefold():
            return row
    return None


def next_local_user_id(db: sqlite_utils.Database, guild_id: int = 0) -> int:
    """A fresh user id for a locally added member (no Discord account behind it)."""
    row = one(db, "SELECT MAX(user_id) AS m FROM cast_members WHERE guild_id = ?", [guild_id])
    return int(row["m"] or 0) + 1


def set_voice(db: sqlite_utils.Database, guild_id: int, user_id: int, voice: str | None) -> bool:
    cur = db.execute("UPDATE cast_members SET voice = ?, updated_at = ? WHERE guild_id = ? AND user_id = ?",
                     [voice, now(), guild_id, user_id])
    return cur.rowcount > 0


def request_consent(db: sqlite_utils.Database, guild_id: int, user_id: int, requested_by: int,
                    photos: list[str]) -> int:
    """An admin asks ``user_id`` to join the cast with these photos; nothing is added until they accept."""
    row = db["consent_requests"].insert({"guild_id": guild_id, "user_id": user_id, "requested_by": requested_by,
                                         "photos": dumps([str(p) for p in photos]), "status": "pending",
                                         "created_at": now()})
    return int(row.last_pk)


def get_consent_request(db: sqlite_utils.Database, request_id: int) -> dict | None:
    return _decode(one(db, "SELECT * FROM consent_requests WHERE id = ?", [request_id]))


def resolve_consent(db: sqlite_utils.Database, request_id: int, accepted: bool, *, name: str | None = None) -> dict:
    """Accept (adds/updates the member, consented by the person themselves) or decline a pending request.

    Returns the request row (status accepted/declined). A request resolves once; later calls
    return it unchanged.
    """
    with immediate(db):
        req = get_consent_request(db, request_id)
        if req is None:
            raise KeyError(f"no consent request {request_id}")
        if req["status"] != "pending":
            return req
        status = "accepted" if accepted else "declined"
        db.execute("UPDATE consent_requests SET status = ?, resolved_at = ? WHERE id = ?",
                   [status, now(), request_id])
        if accepted:
            existing = get_member(db, req["guild_id"], req["user_id"])
            add_member(db, guild_id=req["guild_id"], user_id=req["user_id"],
                       name=name or (existing or {}).get("name") or str(req["user_id"]),
                       photos=req["photos"], voice=(existing or {}).get("voice"), consented_by=req["user_id"])
        return get_consent_request(db, request_id)
