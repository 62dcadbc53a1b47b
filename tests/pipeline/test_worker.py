import threading
import time

from bot.settings import Settings
from studio.worker import Worker
from engine.errors import Cancelled, RenderError
from engine.progress import Progress
from storage import jobs
from storage.db import open_db


def _settings(tmp_path):
    return Settings(home=tmp_path / "home")


def test_runs_a_job_and_records_progress_and_result(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "make", {"x": 2})
    seen = {}

    def handler(ctx):
        seen["dir"] = ctx.job_dir
        ctx.on_progress(Progress("voice", 0.5, "half way", 3.0))
        ctx.on_progress(Progress("render", 1.0, "rendered"))
        return {"double": ctx.job["payload"]["x"] * 2}

    assert Worker(settings, handlers={"make": handler}).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "done" and row["result"] == {"double": 4}
    assert seen["dir"] == settings.jobs_dir / str(job)
    stages = [e["data"]["stage"] for e in jobs.events(db, job) if e["kind"] == "stage"]
    assert stages == ["voice", "render"]
    assert not Worker(settings, handlers={"make": handler}).run_once()  # nothing left


def test_a_new_preview_is_stored_even_inside_the_progress_throttle(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "make", {})
    still = tmp_path / "still.png"
    previews = []

    def handler(ctx):
        ctx.on_progress(Progress("render", 0.1, "frame 1"))
        ctx.on_progress(Progress("render", 0.2, "frame 2"))  # throttled: same stage, within a second
        previews.append(jobs.get_job(ctx.db, job)["message"])
        ctx.on_progress(Progress("render", 0.3, "frame 3", preview=still))  # carries a still: always stored
        previews.append(jobs.get_job(ctx.db, job)["preview"])
        return {}

    assert Worker(settings, handlers={"make": handler}).run_once()
    assert previews == ["frame 1", str(still)]


def test_engine_error_fails_the_job_with_its_message(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "film", {})

    def handler(ctx):
        raise RenderError("a 60-second film cannot fit in 0.01 MB")

    Worker(settings, handlers={"film": handler}).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "failed" and "cannot fit in 0.01 MB" in row["error"]


def test_a_crash_fails_the_job_and_the_worker_goes_on(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    bad = jobs.enqueue(db, "film", {"n": 0})
    good = jobs.enqueue(db, "film", {"n": 1})

    def handler(ctx):
        return {"inv": 1 / ctx.job["payload"]["n"]}

    worker = Worker(settings, handlers={"film": handler})
    assert worker.run_once() and worker.run_once()
    assert jobs.get_job(db, bad)["status"] == "failed" and "ZeroDivisionError" in jobs.get_job(db, bad)["error"]
    assert jobs.get_job(db, good)["status"] == "done"


def test_cancel_while_running_stops_the_work(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "make", {})
    started, stopped = threading.Event(), threading.Event()

    def handler(ctx):
        started.set()
        try:
            for i in range(2000):
                ctx.on_progress(Progress("voice", i / 2000))
                time.sleep(0.01)
        except Cancelled:
            stopped.set()
            raise
        return {"finished": True}

    worker = Worker(settings, handlers={"make": handler}, lease_s=0.6)
    t = threading.Thread(target=worker.run_once)
    t.start()
    assert started.wait(10)
    assert jobs.cancel(db, job)
    t.join(20)
    assert stopped.is_set() and not t.is_alive()
    row = jobs.get_job(db, job)
    assert row["status"] == "cancelled" and row["result"] is None


def test_job_of_a_dead_worker_is_resumed(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "make", {})
    jobs.claim(db, "dead-worker", lease_s=-1)  # claimed, then its worker vanished
    Worker(settings, handlers={"make": lambda ctx: {"attempt": ctx.job["attempts"]}}).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "done" and row["result"] == {"attempt": 2}


def test_two_worker_threads_never_run_the_same_job(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    ids = [jobs.enqueue(db, "write", {"i": i}) for i in range(30)]
    ran, lock = [], threading.Lock()

    def handler(ctx):
        with lock:
            ran.append(ctx.job["id"])
        time.sleep(0.005)
        return {}

    workers = [Worker(settings, worker_id=f"w{i}", handlers={"write": handler}, poll_s=0.05) for i in range(2)]
    threads = [w.start_thread() for w in workers]
    deadline = time.time() + 30
    while time.time() < deadline and any(jobs.get_job(db, j)["status"] != "done" for j in ids):
        time.sleep(0.05)
    for thread, stop in threads:
        stop.set()
        thread.join(5)
    assert sorted(ran) == ids  # each job exactly once
    owners = {e["data"]["worker"] for j in ids for e in jobs.events(db, j) if e["kind"] == "claimed"}
    assert owners <= {"w0", "w1"}


def test_stopping_gives_the_running_job_back_and_another_worker_resumes_it(tmp_path):
    settings = _settings(tmp_path)
    db = open_db(settings.db_path)
    job = jobs.enqueue(db, "make", {})
    started = threading.Event()

    def slow(ctx):
        started.set()
        for i in range(2000):
            ctx.on_progress(Progress("voice", i / 2000, saved=f"line {i}"))
            time.sleep(0.01)
        return {"finished": True}

    worker = Worker(settings, worker_id="w1", handlers={"make": slow})
    thread, stop = worker.start_thread()
    assert started.wait(10)
    stop.set()
    thread.join(20)
    assert not thread.is_alive()
    row = jobs.get_job(db, job)
    assert row["status"] == "queued" and row["lease_owner"] is None and row["save_points"] > 0
    assert "released" in [e["kind"] for e in jobs.events(db, job)]
    Worker(settings, worker_id="w2", handlers={"make": lambda ctx: {"resumed": ctx.job["attempts"]}}).run_once()
    row = jobs.get_job(db, job)
    assert row["status"] == "done" and row["result"] == {"resumed": 2} and row["stalls"] == 0
