"""`bot.py worker` as a process: killed any number of times while the job progresses, the job still
finishes; SIGINT/SIGTERM stop it within seconds (even when started with SIGINT ignored), giving the job back."""
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

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
BRIEF = Brief("The Keeper", lines=("I was never meant to keep the light.",), props=("a brass telescope",), pages=1.0)


def worker(*extra, ignore_sigint=False):
    def ignore():  # what a shell's background job (`cmd &`) inherits
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return subprocess.Popen([sys.executable, "bot.py", "worker", "--poll", "0.1", *extra], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ignore if ignore_sigint else None)


def make_job(home: Path, takes: int = 4):
    db = open_db(home / "benjamin.db")
    bid = briefs.create_brief(db, BRIEF.to_dict(), source="cli")
    payload = {"brief": BRIEF.to_dict(), "takes": takes, "seed": 3, "cast": [], "cast_guild_id": 0, "max_mb": 5,
               "size": [320, 180], "fps": 12}
    return db, jobs.enqueue(db, "make", payload, brief_id=bid)


def wait_until(proc, check, what: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        if proc.poll() is not None:
            pytest.fail(f"the worker ended before {what}: {proc.stderr.read()[-2000:]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}")


def finish(db, job) -> dict:
    _, err = worker("--until-empty").communicate(timeout=300)
    row = jobs.get_job(db, job)
    assert row["status"] == "done", (row["error"], err[-2000:])
    assert db["films"].count == 1 and Path(films.film_for_job(db, job)["path"]).is_file()
    assert briefs.get_brief(db, row["brief_id"])["status"] == "done"
    return row


def test_a_job_survives_ten_worker_kills_in_a_row_while_it_progresses():
    home = Path(os.environ["BENJAMIN_HOME"])
    db, job = make_job(home)
    stages = []
    for _ in range(10):
        before = jobs.get_job(db, job)["save_points"]
        proc = worker("--lease", "1")
        wait_until(proc, lambda: jobs.get_job(db, job)["save_points"] > before, "the job saved something")
        os.kill(proc.pid, signal.SIGKILL)  # killed right after it saved a take, a line or a stage
        proc.wait(10)
        stages.append(jobs.get_job(db, job)["stage"])
    assert jobs.get_job(db, job)["status"] == "running"  # nobody has noticed the death yet
    row = finish(db, job)
    assert row["attempts"] == 11 and row["stalls"] == 0
    assert [e["kind"] for e in jobs.events(db, job)].count("reclaimed") == 10
    assert "write" in stages and len(set(stages)) >= 2  # deaths fell in the write stage and after it
    assert sorted(p.name for p in (home / "jobs" / str(job) / "write").glob("take-*.fountain")) == \
        [f"take-{k}.fountain" for k in range(1, 5)]


def test_sigterm_or_sigint_stops_the_worker_within_seconds_and_gives_the_job_back():
    home = Path(os.environ["BENJAMIN_HOME"])
    db, job = make_job(home, takes=2)
    job_dir = home / "jobs" / str(job)
    for sig, ignore_sigint in ((signal.SIGTERM, False), (signal.SIGINT, True)):  # SIGINT: as in `cmd &`
        before = jobs.get_job(db, job)["save_points"]
        proc = worker("--lease", "60", ignore_sigint=ignore_sigint)
        wait_until(proc, lambda: jobs.get_job(db, job)["save_points"] > before, "the job saved something")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)  # stops within seconds, not after the job
        assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
        row = jobs.get_job(db, job)
        assert row["status"] == "queued" and row["lease_owner"] is None  # given back, not left to a 60 s lease
        assert not [p for p in job_dir.rglob("*") if p.suffix in (".tmp", ".part")]  # nothing half-written
    assert [e["kind"] for e in jobs.events(db, job)].count("released") == 2
    assert finish(db, job)["stalls"] == 0


def test_a_second_signal_ends_the_process_at_once(tmp_path):
    """While the first stop is still under way (here: a job that never reports), a second signal kills."""
    script = ("import threading, time\nfrom studio import signals\nsignals.install(lambda: print('stopping', "
              "flush=True))\nprint('ready', flush=True)\nwhile True: time.sleep(0.1)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout.readline().strip() == "stopping"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == -signal.SIGTERM
