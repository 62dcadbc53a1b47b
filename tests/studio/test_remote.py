"""Jobs on Celery workers through a real Redis: the bot's database on one "machine", two worker processes
with their own BENJAMIN_HOME each (no shared disk; files go through the store)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.brief import Brief
from storage import briefs, films, jobs
from storage.db import open_db
from studio.briefs import start_brief
from studio.follow import job_ref
from studio.remote import Keys
from studio.settings import Settings
from studio.worker import workers_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
BRIEF = Brief("Relay", lines=("Pass it on before the light goes.",), props=("a brass key",), pages=0.5)
PRODUCE = {"cast": [], "cast_guild_id": 0, "max_mb": 5, "size": [160, 90], "fps": 8, "seed": 4}


@pytest.fixture
def farm(redis_url, tmp_path):
    """The bot's settings and database, a follower thread, and a way to start worker processes."""
    store = f"file://{tmp_path / 'store'}"
    settings = Settings(home=tmp_path / "bot", device="cpu", queue_url=redis_url, store_url=store,
                        remote_followers=1)
    db = open_db(settings.db_path)
    follower = workers_for(settings, lease_s=30, poll_s=0.1)[0]
    thread, stop = follower.start_thread()
    procs = []

    def worker(name: str) -> subprocess.Popen:
        env = {**os.environ, "BENJAMIN_HOME": str(tmp_path / name), "BENJAMIN_QUEUE_URL": redis_url,
               "BENJAMIN_STORE_URL": store, "BENJAMIN_DEVICE": "cpu"}
        log = open(tmp_path / f"{name}.log", "w")
        proc = subprocess.Popen([sys.executable, "bot.py", "worker", "--queues", "cpu,gpu", "--lease", "2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    import redis

    yield settings, db, worker, redis.Redis.from_url(redis_url), tmp_path
    stop.set()
    thread.join(20)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _wait(check, what: str, timeout: float = 240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _keys(db, job_id: int) -> Keys:
    return Keys(job_ref(db, job_id))


def _progress(r, db, job_id: int) -> dict:
    return {k.decode(): v.decode() for k, v in r.hgetall(_keys(db, job_id).progress).items()}


def test_a_worker_killed_mid_job_is_replaced_by_another_that_finishes_from_the_last_stage(farm):
    settings, db, worker, r, tmp = farm
    brief_id, job_id = start_brief(db, BRIEF.to_dict(), takes=2, source="cli", produce=PRODUCE)
    procs = {p.pid: (name, p) for name, p in (("w1", worker("w1")), ("w2", worker("w2")))}
    prog = _wait(lambda: (lambda p: p if p.get("stage") == "voice" else None)(_progress(r, db, job_id)),
                 "the job to reach the voice stage")
    victim = int(prog["worker"].split(":")[1])  # host:pid:random
    os.kill(victim, signal.SIGKILL)
    procs[victim][1].wait(10)
    row = _wait(lambda: (lambda j: j if j["status"] in jobs.FINISHED else None)(jobs.get_job(db, job_id)),
                "the other worker to finish the job")
    assert row["status"] == "done", row["error"]
    [survivor] = [name for pid, (name, _) in procs.items() if pid != victim]
    log = (tmp / f"{survivor}.log").read_text()
    assert "write: already done, skipping" in log  # resumed from the dead worker's saved stages
    film = films.film_for_job(db, job_id)
    assert db["films"].count == 1 and Path(film["path"]).is_file()  # the film came home to the bot
    assert Path(film["path"]).is_relative_to(settings.home)
    assert int(r.get(_keys(db, job_id).completions)) == 1  # it ran to completion once
    assert briefs.get_brief(db, brief_id)["status"] == "done"
    assert not (tmp / procs[victim][0] / "jobs" / job_ref(db, job_id) / "render" / "done.json").exists()


def test_cancel_reaches_the_worker_in_another_process(farm):
    settings, db, worker, r, tmp = farm
    _, job_id = start_brief(db, BRIEF.to_dict(), takes=3, source="cli", produce=PRODUCE)
    proc = worker("w1")
    _wait(lambda: _progress(r, db, job_id).get("stage") == "write", "the job to start")
    assert jobs.cancel(db, job_id)  # what /cancel does
    outcome = _wait(lambda: r.get(_keys(db, job_id).outcome), "the worker to stop")
    assert b"cancelled" in outcome
    assert jobs.get_job(db, job_id)["status"] == "cancelled" and db["films"].count == 0
    assert proc.poll() is None  # the worker goes on, ready for the next job


def test_sigterm_stops_a_celery_worker_within_seconds_and_the_job_goes_to_the_next(farm):
    settings, db, worker, r, tmp = farm
    _, job_id = start_brief(db, BRIEF.to_dict(), takes=2, source="cli", produce=PRODUCE)
    first = worker("w1")
    _wait(lambda: int(_progress(r, db, job_id).get("save_points") or 0) > 0, "the job to save something")
    first.send_signal(signal.SIGTERM)
    assert first.wait(30) == 0  # within seconds, not after the film
    assert r.get(_keys(db, job_id).outcome) is None and not r.exists(_keys(db, job_id).lease)
    worker("w2")
    row = _wait(lambda: (lambda j: j if j["status"] in jobs.FINISHED else None)(jobs.get_job(db, job_id)),
                "the next worker to finish the job")
    assert row["status"] == "done", row["error"]
    assert int(r.get(_keys(db, job_id).completions)) == 1 and db["films"].count == 1
    assert "Traceback" not in (tmp / "w1.log").read_text()
