"""Jobs on other machines: Celery on Redis (``BENJAMIN_QUEUE_URL=redis://HOST:PORT/N``).

The bot's machine keeps the database. For each job it runs a *follower* (a thread of the usual
studio.worker.Worker whose handler is :func:`follow`): it gathers the job's inputs, ships the files they
name to the store (studio.store), sends one Celery task to the ``gpu`` or ``cpu`` queue, then mirrors the
remote progress into the database (so progress messages and ``/cancel`` work as before), and records the
outcome, once, when it comes back.

A worker machine (``bot.py worker --queues gpu,cpu``) runs Celery with a solo pool (no fork after CUDA),
prefetch 1 and late acknowledgement. For each task it takes a lease on the job in Redis (renewed by a
heartbeat), lays down the job folder from the store (the work saved by any earlier worker), runs
studio.compute, uploads each save point as it is made, and writes the outcome back to Redis.

Worker deaths: the follower sees the lease lapse with no outcome and sends the task again (a stall
unless the job saved something since); the message of the dead worker comes back after the visibility
timeout too, and whoever receives a job that is finished or leased elsewhere drops it. A job is recorded
by the follower only, so it is posted to Discord exactly once.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import socket
import threading
import time
import uuid
from pathlib import Path

from celery import Celery

from engine.errors import Cancelled, EngineError
from engine.progress import Progress
from studio import store as stores
from studio.compute import compute, needs_gpu

log = logging.getLogger(__name__)

app = Celery("benjamin")
TASK = "benjamin.run_job"
QUEUES = ("gpu", "cpu")
PROGRESS_EVERY_S = 0.5


def configure(url: str, *, visibility_s: float = 6 * 3600, target: Celery | None = None) -> Celery:
    """Point a Celery app (default: this process's worker app) at Redis ``url`` with the settings long GPU
    jobs need."""
    target = app if target is None else target
    target.conf.update(
        broker_url=url, result_backend=None, task_ignore_result=True,
        task_acks_late=True,  # a message is acknowledged when its job has ended, not when it starts
        task_reject_on_worker_lost=True,  # a pool process that dies puts its message back
        worker_prefetch_multiplier=1,  # a worker holds one job at a time; the next waits for a free worker
        broker_transport_options={"visibility_timeout": visibility_s},  # longer than the longest job
        task_default_queue="cpu", broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        worker_send_task_events=False, task_send_sent_event=False,
    )
    return target


def sender(url: str, *, visibility_s: float = 6 * 3600) -> Celery:
    """A Celery app of its own for sending jobs to ``url`` (the bot's side; tasks are sent by name)."""
    return configure(url, visibility_s=visibility_s, target=Celery("benjamin-bot"))


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


class LeaseLost(Cancelled):
    """Another worker took the job over: stop without recording anything."""


class Keys:
    """Where one job's coordination lives in Redis."""

    def __init__(self, ref: str):
        base = f"benjamin:job:{ref}:"
        self.lease, self.progress, self.cancel, self.outcome = (base + "lease", base + "progress",
                                                                base + "cancel", base + "outcome")
        self.claims, self.released, self.completions = base + "claims", base + "released", base + "completions"

    def all(self) -> list[str]:
        return [self.lease, self.progress, self.cancel, self.outcome, self.claims, self.released, self.completions]


# ---- the worker machine's side -------------------------------------------------------------------

class RemoteRun:
    """One delivery of one job on a worker machine."""

    def __init__(self, r, store, home: Path, ref: str, kind: str, inputs: dict, *, lease_s: float,
                 stopping: threading.Event):
        self.r, self.store, self.job_id, self.kind, self.inputs = r, store, ref, kind, inputs
        self.k = Keys(ref)
        self.job_dir = Path(home) / "jobs" / ref
        self.lease_s, self.stopping = lease_s, stopping
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.sent: dict = {}
        self.last_write = 0.0
        self._done = threading.Event()

    def run(self) -> str:
        if self.r.exists(self.k.outcome):
            return "already finished"  # a redelivered message of a finished job
        if self.r.exists(self.k.cancel):
            self.r.set(self.k.outcome, json.dumps({"status": "cancelled"}))
            return "cancelled before it started"
        if not self.r.set(self.k.lease, self.me, nx=True, px=int(self.lease_s * 1000)):
            return "running elsewhere"  # its follower sends it again if that worker dies
        with self.r.pipeline() as p:
            p.incr(self.k.claims)
            p.delete(self.k.released)
            p.hset(self.k.progress, "started_at", time.time())  # (with ended_at: the time it ran here)
            p.execute()
        self._done = threading.Event()
        threading.Thread(target=self._heartbeat, name=f"lease-{self.job_id}", daemon=True).start()
        try:
            return self._run()
        finally:
            self._done.set()

    def _run(self) -> str:
        from studio.worker import Released

        self.sent = stores.pull_dir(self.store, f"jobs/{self.job_id}", self.job_dir)  # earlier workers' saves
        inputs = fetch_inputs(self.store, self.job_id, self.inputs, self.job_dir / "inputs",
                              Path(WorkerConfig.home) / "footage-cache")
        inputs["device"] = WorkerConfig.device  # this machine's (BENJAMIN_DEVICE here), not the bot's
        if "faces_dir" in inputs:  # face sets and trained swap models: this machine's cache
            inputs["faces_dir"] = str(Path(WorkerConfig.home) / "faces")
        log.info("job %s (%s): running on %s", self.job_id, self.kind, self.me)
        try:
            outcome = compute(self.kind, inputs, self.job_dir, self._report)
        except Released:
            self._save()
            self.r.set(self.k.released, 1)
            self._drop_lease()
            log.info("job %s given back (this worker is stopping)", self.job_id)
            run_job.apply_async(args=[self.job_id, self.kind, self.inputs], queue=queue_for(self.kind, self.inputs))
            return "given back"  # (sent again first: this message is acknowledged after the return)
        except LeaseLost as e:  # (this worker stalled): the other one records the outcome
            log.warning("job %s stopped: %s", self.job_id, e)
            return "lost"
        except Cancelled as e:
            log.info("job %s stopped: %s", self.job_id, e)
            self._end({"status": "cancelled"})
            return "cancelled"
        except EngineError as e:
            self._end({"status": "failed", "error": str(e)})
            return "failed"
        except OSError as e:
            self._end({"status": "failed", "error": f"file error on worker {self.me}: {e.strerror or e}"})
            return "failed"
        except Exception as e:  # a bug: the job fails with a short reason, the worker goes on
            log.exception("job %s crashed", self.job_id)
            self._end({"status": "failed", "error": f"internal error ({type(e).__name__}: {e})"})
            return "failed"
        self._save()
        self._end({"status": "done", "outcome": stores.portable(outcome, self.job_dir)})
        self.r.incr(self.k.completions)
        return "done"

    def _report(self, p: Progress) -> None:
        """Progress to Redis (at most every PROGRESS_EVERY_S, and at each save point); stops the work when the
        job was cancelled, its lease was lost, or this worker is stopping."""
        from studio.worker import Released

        if self.stopping.is_set():
            raise Released("the worker is shutting down")
        if p.saved:
            self._save()
            self.r.hincrby(self.k.progress, "save_points", 1)
        t = time.monotonic()
        if not (p.saved or t - self.last_write >= PROGRESS_EVERY_S or p.fraction >= 1.0):
            return
        if self.r.exists(self.k.cancel):
            raise Cancelled("the job was cancelled")
        if self.r.get(self.k.lease) != self.me.encode():
            raise LeaseLost("the job's lease ran out; another worker has it")
        self.r.hset(self.k.progress, mapping={"stage": p.stage, "fraction": p.fraction, "message": p.message,
                                              "eta_s": "" if p.eta_s is None else p.eta_s, "worker": self.me})
        self.last_write = t

    def _save(self) -> None:
        stores.push_dir(self.store, f"jobs/{self.job_id}", self.job_dir, self.sent)

    def _end(self, outcome: dict) -> None:
        self.r.hset(self.k.progress, "ended_at", time.time())
        self.r.set(self.k.outcome, json.dumps(outcome))
        self._drop_lease()

    def _drop_lease(self) -> None:
        if self.r.get(self.k.lease) == self.me.encode():
            self.r.delete(self.k.lease)

    def _heartbeat(self) -> None:
        while not self._done.wait(max(0.05, self.lease_s / 3)):
            try:
                if self.r.get(self.k.lease) != self.me.encode():
                    return
                self.r.pexpire(self.k.lease, int(self.lease_s * 1000))
            except Exception:  # a heartbeat must not kill the job it guards; the lease just lapses
                log.exception("job %s: heartbeat failed", self.job_id)


# ---- inputs that are files -------------------------------------------------------------------------

def _input_paths(inputs: dict):
    """(container, key) pairs of every input that names a file on the bot's machine."""
    if inputs.get("model"):
        yield inputs, "model"
    for seq in ("footage", "corpus"):
        for i in range(len(inputs.get(seq) or ())):
            yield inputs[seq], i
    for m in inputs.get("members") or ():
        for i in range(len(m["photos"])):
            yield m["photos"], i


def ship_inputs(store, job_id: str, inputs: dict) -> dict:
    """Upload the files the inputs name; the inputs with those paths replaced by store keys (JSON-able:
    a footage library goes as a pickled object beside its clips)."""
    inputs = dict(inputs)
    library = inputs.pop("_library", None)
    shipped = json.loads(json.dumps(inputs))
    if library:
        shipped["library"] = _ship_library(store, job_id, library)
    for n, (box, key) in enumerate(_input_paths(shipped)):
        path = Path(box[key])
        store_key = f"inputs/{job_id}/{n}-{path.name}"
        if not store.keys(store_key):
            try:
                store.put_bytes(store_key, path.read_bytes())
            except OSError as e:
                raise EngineError(f"cannot read {path} to send it to a worker: {e.strerror or e}") from None
        box[key] = "store:" + store_key
    return shipped


def fetch_inputs(store, job_id: str, inputs: dict, folder: Path, footage_cache: Path | None = None) -> dict:
    """Download the files the inputs name (store keys) into ``folder`` (footage clips into ``footage_cache``,
    shared by this machine's jobs); the inputs with local paths."""
    local = json.loads(json.dumps(inputs))
    if local.get("library"):
        local["_library"] = _fetch_library(store, local.pop("library"), footage_cache or folder)
    for box, key in _input_paths(local):
        value = str(box[key])
        if not value.startswith("store:"):
            continue
        store_key = value[len("store:"):]
        path = folder / store_key.rsplit("/", 1)[-1]
        if not path.is_file():
            data = store.get_bytes(store_key)
            if data is None:
                raise EngineError(f"the job's input {store_key} is missing from the store")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        box[key] = str(path)
    return local


def _ship_library(store, job_id: str, library) -> str:
    """A footage library (engine.footage Library) to the store: each clip once (by size and name), then the
    library itself with its clips' paths as store keys. Pickled: bot and workers run the same code."""
    clips = []
    for clip in library.clips:
        path = Path(clip.path)
        key = f"footage/{path.stat().st_size}-{path.name}"
        if not store.keys(key):
            store.put_bytes(key, path.read_bytes())
        clips.append(dataclasses.replace(clip, path=Path("store:" + key)))
    key = f"inputs/{job_id}/library.pkl"
    store.put_bytes(key, pickle.dumps(dataclasses.replace(library, clips=tuple(clips))))
    return "store:" + key


def _fetch_library(store, ref: str, cache: Path):
    data = store.get_bytes(ref[len("store:"):])
    if data is None:
        raise EngineError(f"the job's footage library {ref} is missing from the store")
    library = pickle.loads(data)
    clips = []
    for clip in library.clips:
        key = str(clip.path)[len("store:"):]
        path = Path(cache) / key.rsplit("/", 1)[-1]
        if not path.is_file():
            blob = store.get_bytes(key)
            if blob is None:
                raise EngineError(f"footage clip {key} is missing from the store")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        clips.append(dataclasses.replace(clip, path=path))
    return dataclasses.replace(library, clips=tuple(clips))


def queue_for(kind: str, inputs: dict) -> str:
    return "gpu" if needs_gpu(kind, inputs) else "cpu"


# ---- the Celery task ---------------------------------------------------------------------------------

class WorkerConfig:
    """What this worker process was started with (set by `bot.py worker` before Celery starts)."""
    home: Path = Path("data")
    lease_s: float = 60.0
    device: str = "auto"
    store_url: str | None = None
    queue_url: str = ""
    stopping = threading.Event()
    _r = None
    _store = None

    @classmethod
    def client(cls):
        if cls._r is None:
            cls._r = redis_client(cls.queue_url)
        return cls._r

    @classmethod
    def store(cls):
        if cls._store is None:
            cls._store = stores.open_store(cls.store_url, cls.client())
        return cls._store


@app.task(name=TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(ref: str, kind: str, inputs: dict) -> str:
    """Run job ``ref`` ("<the bot database's namespace>-<job id>") of ``kind`` on ``inputs`` here."""
    c = WorkerConfig
    outcome = RemoteRun(c.client(), c.store(), c.home, str(ref), kind, inputs, lease_s=c.lease_s,
                        stopping=c.stopping).run()
    log.info("job %s: %s", ref, outcome)
    return outcome
