import sqlite3

from storage.db import migrations, open_db


def test_file_database_uses_wal_and_migrates_once(file_db_path):
    db = open_db(file_db_path)
    assert file_db_path.exists()  # parent folder created
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"briefs", "takes", "votes", "jobs", "job_events", "cast_members", "films",
            "guild_settings", "consent_requests"} <= set(db.table_names())
    applied = [m.name for m in migrations.applied(db)]
    db.close()
    again = open_db(file_db_path)  # reopening applies nothing twice
    assert [m.name for m in migrations.applied(again)] == applied


def test_data_survives_reopen(file_db_path):
    from storage.briefs import create_brief, get_brief

    db = open_db(file_db_path)
    bid = create_brief(db, {"title": "Ünïcode @everyone **bold**", "lines": ["x"]})
    db.close()
    assert get_brief(open_db(file_db_path), bid)["brief"]["title"] == "Ünïcode @everyone **bold**"


def test_unwritable_location_raises(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    try:
        open_db(blocker / "sub" / "benjamin.db")
    except (OSError, sqlite3.Error):
        return
    raise AssertionError("opening a database under a file should fail")
