"""The job kinds the bot queues ("write", "train"), run by a real worker on the real engine."""
import errno
from pathlib import Path

import pytest

from bot.settings import Settings
from studio.worker import Worker
from storage import briefs, jobs, takes
from storage.db import open_db
from storage.settings import get_guild_setting


def _setup(tmp_path):
    settings = Settings(home=tmp_path / "home", device="cpu")
    return settings, open_db(settings.db_path)


def test_write_job_stores_takes_after_the_existing_ones(tmp_path):
    settings, db = _setup(tmp_path)
    line = "I was never meant to keep the light."
    bid = briefs.create_brief(db, {"title": "Keeper", "lines": [line], "pages": 0.5}, guild_id=5, requester_id=9,
                              source="discord")
    job = jobs.enqueue(db, "write", {"brief_id": bid, "takes": 1, "seed": 3, "start_index": 2}, guild_id=5,
                       brief_id=bid)
    assert Worker(settings).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "done", row["error"]
    [take] = takes.takes_for_brief(db, bid)
    assert take["index"] == 3 and row["result"]["take_ids"] == [take["id"]]
    assert line in Path(take["fountain_path"]).read_text() and take["score"] is not None
    assert take["summary"]["lines"] >= 1


def test_write_job_for_a_missing_brief_fails(tmp_path):
    settings, db = _setup(tmp_path)
    job = jobs.enqueue(db, "write", {"brief_id": 999, "takes": 1})
    Worker(settings).run_once()
    assert jobs.get_job(db, job)["status"] == "failed" and "999" in jobs.get_job(db, job)["error"]


def test_train_job_sets_the_guild_writer(tmp_path):
    from engine.screenplay.corpus import default_corpus

    settings, db = _setup(tmp_path)
    job = jobs.enqueue(db, "train", {"corpus": [str(p) for p in default_corpus()[:1]], "preset": "tiny",
                                     "steps": 3, "guild_id": 42}, guild_id=42)
    Worker(settings).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "done", row["error"]
    assert get_guild_setting(db, 42, "writer_model") == row["result"]["checkpoint"]
    assert Path(row["result"]["checkpoint"]).is_file() and row["result"]["steps"] == 3


def test_a_full_disk_is_reported_plainly(tmp_path):
    settings, db = _setup(tmp_path)
    job = jobs.enqueue(db, "film", {})

    def handler(ctx):
        raise OSError(errno.ENOSPC, "No space left on device", str(ctx.job_dir / "voice" / "x.wav"))

    Worker(settings, handlers={"film": handler}).run_once()
    assert "disk" in jobs.get_job(db, job)["error"] and "full" in jobs.get_job(db, job)["error"]
    job = jobs.enqueue(db, "film", {})

    def sqlite_full(ctx):
        import sqlite3

        raise sqlite3.OperationalError("database or disk is full")

    Worker(settings, handlers={"film": sqlite_full}).run_once()
    assert "is full" in jobs.get_job(db, job)["error"] and "internal" not in jobs.get_job(db, job)["error"]
