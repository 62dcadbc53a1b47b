"""A `bot.py worker` killed with SIGKILL mid-stage: a restarted worker finishes the job without
redoing finished stages, and the film is recorded once."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import briefs, films, jobs, takes
from storage.db import open_db

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _worker(*extra):
    return subprocess.Popen([sys.executable, "bot.py", "worker", "--poll", "0.1", *extra], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _film_job(home: Path, text: str) -> tuple:
    db = open_db(home / "benjamin.db")
    fountain = home / "take.fountain"
    fountain.write_text(text)
    bid = briefs.create_brief(db, {"title": "The Test", "lines": ["I was never meant to keep the light."]})
    tid = takes.add_take(db, bid, index=1, fountain_path=str(fountain), pdf_path=None, seed=1, score=0.5)
    job = jobs.enqueue(db, "film", {"brief_id": bid, "take_id": tid, "max_mb": 5, "cast_guild_id": 0,
                                    "size": [320, 180], "fps": 12, "footage": None},  # an animatic
                       brief_id=bid)
    return db, job, home / "jobs" / str(job)


def _kill_when(proc, check, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the worker ended before the moment to kill it: {proc.stderr.read().decode()[-2000:]}")
        if check():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            return
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the job never reached the stage to kill it in")


def _mtimes(folder: Path, pattern: str) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob(pattern)}


def _finish(db, job):
    restarted = _worker("--until-empty")
    _, err = restarted.communicate(timeout=180)
    row = jobs.get_job(db, job)
    assert row["status"] == "done", (row["error"], err.decode()[-2000:])
    return row


def _assert_one_film(db, job, job_dir):
    row = jobs.get_job(db, job)
    assert row["attempts"] == 2
    assert [e["kind"] for e in jobs.events(db, job)].count("reclaimed") == 1
    film = films.film_for_job(db, job)
    assert film and Path(film["path"]).is_file() and db["films"].count == 1
    assert [p.name for p in job_dir.rglob("*.mp4")] == ["film.mp4"]
    assert briefs.get_brief(db, row["brief_id"])["status"] == "done"


def test_sigkill_during_voice_resumes_without_redoing(fountain_text):
    home = Path(os.environ["BENJAMIN_HOME"])
    db, job, job_dir = _film_job(home, fountain_text(24))
    voice = job_dir / "voice"
    proc = _worker("--lease", "1")
    _kill_when(proc, lambda: jobs.get_job(db, job)["stage"] == "voice" and len(list(voice.glob("*.wav"))) >= 3
               and not (voice / "done.json").exists())
    cast_marker = (job_dir / "cast" / "done.json").stat().st_mtime_ns
    voiced = _mtimes(voice, "*.wav")
    assert jobs.get_job(db, job)["status"] == "running"  # nobody recorded the death yet
    _finish(db, job)
    assert (job_dir / "cast" / "done.json").stat().st_mtime_ns == cast_marker  # cast not redone
    after = _mtimes(voice, "*.wav")
    kept = {k: v for k, v in voiced.items() if after.get(k) == v}
    assert len(kept) >= len(voiced) - 1  # lines voiced before the kill were reused (the last may be torn)
    assert len(after) == 24
    _assert_one_film(db, job, job_dir)


def test_sigkill_during_render_resumes_without_redoing(fountain_text):
    home = Path(os.environ["BENJAMIN_HOME"])
    db, job, job_dir = _film_job(home, fountain_text(16))
    proc = _worker("--lease", "1")
    _kill_when(proc, lambda: jobs.get_job(db, job)["stage"] == "render"
               and not (job_dir / "render" / "done.json").exists())
    markers = {s: (job_dir / s / "done.json").stat().st_mtime_ns for s in ("cast", "voice", "swap")}
    voiced = _mtimes(job_dir / "voice", "*.wav")
    _finish(db, job)
    assert {s: (job_dir / s / "done.json").stat().st_mtime_ns for s in markers} == markers
    assert _mtimes(job_dir / "voice", "*.wav") == voiced
    _assert_one_film(db, job, job_dir)
