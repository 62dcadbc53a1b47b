"""`bot.py jobs`: the CLI's queue, job info and cancel."""
import json

from bot.cli import main
from storage import jobs
from storage.db import open_db


def _db(tmp_path):
    return open_db(tmp_path / "home" / "benjamin.db")  # conftest points BENJAMIN_HOME there


def test_list_info_and_cancel(tmp_path, capsys):
    db = _db(tmp_path)
    first = jobs.enqueue(db, "make", {"brief": {"title": "One"}})
    second = jobs.enqueue(db, "train", {"preset": "tiny"})
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"1. job {first} · make · queued") and out[1].startswith(f"2. job {second} · train")

    assert main(["jobs", "cancel", str(first)]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert jobs.get_job(db, first)["status"] == "cancelled"

    assert main(["jobs", "--json"]) == 0
    assert [j["id"] for j in json.loads(capsys.readouterr().out)] == [second]
    assert main(["jobs", "info", str(second)]) == 0
    assert "preset: \"tiny\"" in capsys.readouterr().out


def test_bad_ids_are_one_clear_line(tmp_path, capsys):
    db = _db(tmp_path)
    job = jobs.enqueue(db, "make", {})
    jobs.cancel(db, job)
    assert main(["jobs", "cancel", str(job)]) == 2
    assert "already cancelled" in capsys.readouterr().err
    assert main(["jobs", "info", "999"]) == 2
    assert "no job 999" in capsys.readouterr().err
    assert main(["jobs", "cancel"]) == 2
    assert "needs a job id" in capsys.readouterr().err
