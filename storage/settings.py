"""Per-guild settings (e.g. the guild's writer checkpoint after /train). Guild 0 is the local CLI."""
from __future__ import annotations

import sqlite_utils

from storage.db import dumps, loads, now, one


def get_guild_setting(db: sqlite_utils.Database, guild_id: int, key: str, default=None):
    row = one(db, "SELECT value FROM guild_settings WHERE guild_id = ? AND key = ?", [guild_id, key])
    return loads(row["value"]) if row else default


def set_guild_setting(db: sqlite_utils.Database, guild_id: int, key: str, value) -> None:
    """Store any JSON-able value; None deletes the setting."""
    if value is None:
        db.execute("DELETE FROM guild_settings WHERE guild_id = ? AND key = ?", [guild_id, key])
        return
    db.execute("INSERT INTO guild_settings (guild_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
               [guild_id, key, dumps(value), now()])


def guild_settings(db: sqlite_utils.Database, guild_id: int) -> dict:
    return {r["key"]: loads(r["value"]) for r in db.query(
        "SELECT key, value FROM guild_settings WHERE guild_id = ? ORDER BY key", [guild_id])}
