import multiprocessing as mp

import pytest

from storage import jobs
from storage.db import StorageError, open_db


def test_claim_in_order_and_only_once(db):
    a = jobs.enqueue(db, "make", {"n": 1}, requester_id=5)
    b = jobs.enqueue(db, "write", {"n": 2}, requester_id=5)
    first = jobs.claim(db, "w1")
    assert first["id"] == a and first["status"] == "running" and first["attempts"] == 1
    assert first["payload"] == {"n": 1} and first["lease_owner"] == "w1"
    assert jobs.claim(db, "w2")["id"] == b
    assert jobs.claim(db, "w3") is None
    assert jobs.user_active_count(db, 5) == 2


def test_claim_filters_by_kind(db):
    jobs.enqueue(db, "train", {})
    film = jobs.enqueue(db, "film", {})
    assert jobs.claim(db, "w", kinds=["film", "make"])["id"] == film
    assert jobs.claim(db, "w", kinds=["film"]) is None


def test_unknown_kind_rejected(db):
    with pytest.raises(StorageError, match="kind"):
        jobs.enqueue(db, "dance", {})


def test_expired_lease_is_reclaimed_then_given_up(db):
    job = jobs.enqueue(db, "make", {}, max_attempts=2)
    assert jobs.claim(db, "dead-1", lease_s=-1)["id"] == job  # lease already over: its worker "died"
    again = jobs.claim(db, "w2", lease_s=-1)
    assert again["id"] == job and again["attempts"] == 2 and again["lease_owner"] == "w2"
    assert not jobs.heartbeat(db, job, "dead-1")  # the old worker lost it
    assert jobs.claim(db, "w3") is None  # attempts used up: failed, not claimed
    row = jobs.get_job(db, job)
    assert row["status"] == "failed" and "stopped 2 times" in row["error"]
    assert [e["kind"] for e in jobs.events(db, job)] == ["queued", "claimed", "reclaimed", "failed"]


def test_a_job_that_saves_progress_survives_any_number_of_worker_deaths(db):
    job = jobs.enqueue(db, "make", {})  # max_attempts 3
    for i in range(10):
        assert jobs.claim(db, f"w{i}", lease_s=-1)["id"] == job  # claimed, saves a take, then its worker dies
        assert jobs.save_point(db, job, f"w{i}", f"take {i}")
    for i in range(3):  # now it dies without saving anything: retried twice
        assert jobs.claim(db, f"stuck{i}", lease_s=-1)["stalls"] == i
    jobs.update_progress(db, job, stage="voice", fraction=0.5)
    assert jobs.claim(db, "last") is None  # the third death in a row without progress: a crash loop
    row = jobs.get_job(db, job)
    assert row["status"] == "failed" and row["attempts"] == 13
    assert "3 times in a row in the voice stage without saving any progress" in row["error"]


def test_a_save_point_from_a_worker_that_lost_the_job_does_not_count(db):
    job = jobs.enqueue(db, "make", {})
    jobs.claim(db, "w1", lease_s=60)
    assert not jobs.save_point(db, job, "w2")
    assert jobs.get_job(db, job)["save_points"] == 0


def test_a_released_job_is_queued_again_and_not_counted_as_a_crash(db):
    job = jobs.enqueue(db, "make", {}, max_attempts=1)
    jobs.claim(db, "w1", lease_s=60)
    assert not jobs.release(db, job, "someone-else")
    assert jobs.release(db, job, "w1")
    row = jobs.get_job(db, job)
    assert row["status"] == "queued" and row["lease_owner"] is None and "resumes" in row["message"]
    again = jobs.claim(db, "w2")
    assert again["id"] == job and again["stalls"] == 0 and again["message"] == "resumed after a worker stopped"
    assert [e["kind"] for e in jobs.events(db, job)] == ["queued", "claimed", "released", "claimed"]


def test_live_lease_is_not_stolen(db):
    job = jobs.enqueue(db, "make", {})
    jobs.claim(db, "w1", lease_s=60)
    assert jobs.claim(db, "w2") is None
    assert jobs.heartbeat(db, job, "w1", lease_s=60)


def test_cancel_queued_and_running(db):
    queued = jobs.enqueue(db, "make", {})
    running = jobs.enqueue(db, "make", {})
    assert jobs.cancel(db, queued)
    assert jobs.claim(db, "w1")["id"] == running  # cancelled jobs are never claimed
    assert jobs.cancel(db, running)
    assert not jobs.heartbeat(db, running, "w1")  # the worker learns at its next heartbeat
    assert not jobs.finish(db, running, {"path": "x"})  # and cannot finish it afterwards
    assert jobs.get_job(db, running)["status"] == "cancelled"
    assert not jobs.cancel(db, running)  # already over


def test_finish_fail_and_progress(db):
    a = jobs.enqueue(db, "make", {})
    b = jobs.enqueue(db, "make", {})
    jobs.claim(db, "w1")
    jobs.update_progress(db, a, stage="voice", fraction=0.5, eta_s=12, message="line 3/6", preview="/p.png")
    row = jobs.get_job(db, a)
    assert (row["stage"], row["fraction"], row["eta_s"], row["message"], row["preview"]) == \
        ("voice", 0.5, 12, "line 3/6", "/p.png")
    assert not jobs.finish(db, a, {"x": 1}, worker_id="intruder")
    assert jobs.finish(db, a, {"path": "/f.mp4"}, worker_id="w1")
    assert jobs.get_job(db, a)["result"] == {"path": "/f.mp4"} and jobs.get_job(db, a)["fraction"] == 1.0
    assert jobs.fail(db, b, "the brief was empty")
    assert jobs.get_job(db, b)["error"] == "the brief was empty"
    assert not jobs.fail(db, a, "too late")  # done stays done


def test_queue_positions_and_eta(db):
    ids = [jobs.enqueue(db, "film", {}) for _ in range(3)]
    jobs.claim(db, "w1")
    jobs.update_progress(db, ids[0], stage="render", fraction=0.5, eta_s=30)
    q = jobs.queue(db)
    assert [r["id"] for r in q] == ids and [r["position"] for r in q] == [1, 2, 3]
    assert q[0]["eta_s"] == 30
    assert q[0]["eta_s"] < q[1]["eta_s"] < q[2]["eta_s"]


def test_posting_is_exactly_once(db):
    job = jobs.enqueue(db, "film", {})
    jobs.set_progress_message(db, job, channel_id=1, message_id=99)
    assert [r["id"] for r in jobs.jobs_with_progress_messages(db)] == [job]
    jobs.claim(db, "w")
    assert jobs.finished_unposted(db) == []
    jobs.finish(db, job, {})
    assert [r["id"] for r in jobs.finished_unposted(db, kinds=["film"])] == [job]
    assert jobs.finished_unposted(db, kinds=["write"]) == []
    assert jobs.mark_posted(db, job, 100)
    assert not jobs.mark_posted(db, job, 101)
    assert jobs.finished_unposted(db) == [] and jobs.jobs_with_progress_messages(db) == []


def _claim_all(path, worker, out):
    db = open_db(path)
    got = []
    while True:
        job = jobs.claim(db, worker, lease_s=60)
        if job is None:
            break
        got.append(job["id"])
        jobs.finish(db, job["id"], {"by": worker}, worker_id=worker)
    out.put(got)


def test_workers_in_separate_processes_never_share_a_job(file_db_path):
    db = open_db(file_db_path)
    ids = {jobs.enqueue(db, "make", {"i": i}) for i in range(40)}
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(file_db_path, f"w{i}", out)) for i in range(3)]
    for p in procs:
        p.start()
    claimed = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    flat = [j for got in claimed for j in got]
    assert sorted(flat) == sorted(ids)  # every job once, none twice
    assert all(jobs.get_job(db, j)["attempts"] == 1 for j in ids)


def test_enqueue_stores_the_job_and_its_event_together_or_not_at_all(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(jobs, "add_event", broken)
    with pytest.raises(RuntimeError):
        jobs.enqueue(db, "write", {"brief_id": 1})
    assert list(db.query("SELECT id FROM jobs")) == []  # no job without its history
    monkeypatch.undo()
    job_id = jobs.enqueue(db, "write", {"brief_id": 1})
    assert [e["kind"] for e in jobs.events(db, job_id)] == ["queued"]
