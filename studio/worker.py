"""The job worker: claims jobs from the SQLite queue, runs their handler, records the outcome.

One worker runs in-process (a thread, :meth:`Worker.start_thread`) by default, or on its own with
``python bot.py worker``; several may share one database. A job whose worker dies is claimed again
once its lease expires, and its stages resume from their done-markers in the job folder.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid

from engine.errors import Cancelled, EngineError
from engine.progress import Progress
from storage import jobs as jobstore
from storage.db import open_db
from studio.settings import Settings

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0  # throttle for progress writes (a stage change or a new preview is always written)


class JobLost(Cancelled):
    """The job was cancelled, or another worker took it over: stop without recording anything."""


class Released(Cancelled):
    """The worker is shutting down: stop the job and give it back to the queue (it resumes elsewhere)."""


class _Reporter:
    """The on_progress callback handed to a job: writes progress, raises when the job was cancelled."""

    def __init__(self, worker: "Worker", job_id: int, lost: threading.Event):
        self.worker, self.job_id, self.lost = worker, job_id, lost
        self.last_write = 0.0
        self.last_stage: str | None = None
        self.last_preview = None

    def __call__(self, p: Progress) -> None:
        if self.lost.is_set():
            raise JobLost("the job was cancelled")
        if p.saved:  # durable work: the job is progressing, whatever happens to this worker next
            jobstore.save_point(self.worker.db(), self.job_id, self.worker.worker_id, p.saved)
        if self.worker.stopping.is_set():
            raise Released("the worker is shutting down")
        t = time.monotonic()
        stage_changed = p.stage != self.last_stage
        new_preview = p.preview is not None and p.preview != self.last_preview
        if not (stage_changed or new_preview) and t - self.last_write < PROGRESS_EVERY_S and p.fraction < 1.0:
            return
        db = self.worker.db()
        if stage_changed:
            jobstore.add_event(db, self.job_id, "stage", {"stage": p.stage})
            self.last_stage = p.stage
        jobstore.update_progress(db, self.job_id, stage=p.stage, fraction=p.fraction, eta_s=p.eta_s,
                                 message=p.message, preview=p.preview)
        self.last_write = t
        self.last_preview = p.preview if p.preview is not None else self.last_preview
        row = db.execute("SELECT status, lease_owner FROM jobs WHERE id = ?", [self.job_id]).fetchone()
        if row is None or row[0] != "running" or row[1] != self.worker.worker_id:
            self.lost.set()
            raise JobLost("the job was cancelled")


class _Heartbeat(threading.Thread):
    """Renews the job's lease every lease_s/3 seconds; sets ``lost`` when that fails."""

    def __init__(self, worker: "Worker", job_id: int, lost: threading.Event):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.worker, self.job_id, self.lost = worker, job_id, lost
        self.done = threading.Event()

    def run(self) -> None:
        db = open_db(self.worker.settings.db_path)  # its own connection: one per thread
        try:
            while not self.done.wait(max(0.05, self.worker.lease_s / 3)):
                if not jobstore.heartbeat(db, self.job_id, self.worker.worker_id, self.worker.lease_s):
                    log.info("job %s: lease lost (cancelled or taken over)", self.job_id)
                    self.lost.set()
                    return
        except Exception:  # a heartbeat must never kill the job it guards; the lease will just expire
            log.exception("job %s: heartbeat failed", self.job_id)
        finally:
            db.close()


class Worker:
    def __init__(self, settings: Settings, worker_id: str | None = None, lease_s: float = 60,
                 poll_s: float = 1.0, kinds=None, handlers: dict | None = None):
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.kinds = tuple(kinds) if kinds else None
        self._handlers = handlers
        self._local = threading.local()
        self.stopping = threading.Event()  # set: give the running job back at its next progress report, stop

    def handlers(self) -> dict:
        if self._handlers is None:
            from studio.handlers import HANDLERS  # the engine behind them is heavy: loaded when first used

            self._handlers = HANDLERS
        return self._handlers

    def db(self):
        """This thread's connection (sqlite connections are not shared between threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_db(self.settings.db_path)
        return db

    def run_once(self) -> bool:
        """Claim one job and run it to an outcome; False when there was nothing to do."""
        kinds = self.kinds or tuple(self.handlers())
        job = jobstore.claim(self.db(), self.worker_id, lease_s=self.lease_s, kinds=kinds)
        if job is None:
            return False
        self._run(job)
        return True

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Run jobs until ``stop`` (default: :attr:`stopping`) is set; a running job is then given back."""
        if stop is not None:
            self.stopping = stop
        stop = self.stopping
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # e.g. the database is locked for too long: log, wait, go on
                log.exception("worker %s: could not claim a job", self.worker_id)
                busy = False
            if not busy:
                stop.wait(self.poll_s)
        log.info("worker %s stopped", self.worker_id)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        """Run in a thread; set the returned event to stop it (a running job is given back, resumable)."""
        thread = threading.Thread(target=self.run_forever, name=f"worker-{self.worker_id}", daemon=True)
        thread.start()
        return thread, self.stopping

    def _run(self, job: dict) -> None:
        from studio.handlers import JobContext

        job_id = job["id"]
        lost = threading.Event()
        beat = _Heartbeat(self, job_id, lost)
        beat.start()
        db = self.db()
        handler = self.handlers()[job["kind"]]
        ctx = JobContext(settings=self.settings, db=db, job=job, job_dir=self.settings.jobs_dir / str(job_id),
                         on_progress=_Reporter(self, job_id, lost))
        log.info("job %s (%s): attempt %s on %s", job_id, job["kind"], job["attempts"], self.worker_id)
        try:
            result = handler(ctx)
        except Released:
            if jobstore.release(db, job_id, self.worker_id):
                log.info("job %s given back to the queue; it resumes where it was", job_id)
        except Cancelled as e:
            if lost.is_set():
                log.info("job %s stopped: %s", job_id, e)
            else:  # the work itself asked to stop
                jobstore.cancel(db, job_id)
        except EngineError as e:
            log.info("job %s failed: %s", job_id, e)
            jobstore.fail(db, job_id, str(e), worker_id=self.worker_id)
        except OSError as e:
            reason = _os_reason(e, self.settings)
            log.warning("job %s failed: %s", job_id, reason)
            jobstore.fail(db, job_id, reason, worker_id=self.worker_id)
        except sqlite3.OperationalError as e:
            reason = (f"the disk holding BENJAMIN_HOME={self.settings.home} is full; free some space and try again"
                      if "full" in str(e) else f"database error: {e}")
            log.warning("job %s failed: %s", job_id, reason)
            _best_effort(jobstore.fail, db, job_id, reason, worker_id=self.worker_id)
        except Exception as e:  # a bug: keep the worker alive, tell the user something short
            log.exception("job %s crashed", job_id)
            jobstore.fail(db, job_id, f"internal error ({type(e).__name__}: {e})", worker_id=self.worker_id)
        else:
            if not jobstore.finish(db, job_id, result or {}, worker_id=self.worker_id):
                log.info("job %s finished but was cancelled or taken over meanwhile", job_id)
        finally:
            beat.done.set()
            beat.join(timeout=5)


def workers_for(settings: Settings, **options) -> list[Worker]:
    """The worker threads the database's machine runs: one local worker (embedded mode), or
    ``settings.remote_followers`` followers of jobs that run on Celery workers (BENJAMIN_QUEUE_URL)."""
    if not settings.remote:
        return [Worker(settings, **options)]
    from studio.follow import Remote, follow  # Celery and Redis: only when jobs run on other machines

    conn = Remote(settings)

    def handler(ctx) -> dict:
        return follow(ctx, conn)

    handlers = {kind: handler for kind in jobstore.KINDS}
    return [Worker(settings, handlers=handlers, **options) for _ in range(settings.remote_followers)]


def _best_effort(fn, *args, **kwargs) -> None:
    """Record an outcome if the database lets us; if not, the lease expires and the job is retried."""
    try:
        fn(*args, **kwargs)
    except Exception:
        log.exception("could not record the outcome; the job will be retried after its lease")


def _os_reason(e: OSError, settings: Settings) -> str:
    if e.errno == errno.ENOSPC:
        return f"the disk holding BENJAMIN_HOME={settings.home} is full; free some space and try again"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {e.filename or settings.home}: permission denied"
    return f"file error: {e.strerror or e}" + (f" ({e.filename})" if e.filename else "")


__all__ = ["Worker", "JobLost", "Released", "workers_for"]
