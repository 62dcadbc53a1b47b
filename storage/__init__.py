"""Benjamin's SQLite storage: briefs, takes, votes, jobs, cast, films, guild settings.

Rows are plain dicts. Open one connection per thread or process with :func:`storage.db.open_db`.
"""
from storage.db import open_db

__all__ = ["open_db"]
