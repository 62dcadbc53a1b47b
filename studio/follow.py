"""The bot machine's side of a remote job (see studio.remote): send it, mirror its progress, record it once."""
from __future__ import annotations

import json
import logging
import time
import uuid

from engine.errors import Cancelled, EngineError
from engine.progress import Progress
from storage import jobs as jobstore
from storage.db import immediate
from storage.settings import get_guild_setting, set_guild_setting
from studio import remote
from studio import store as stores
from studio.handlers import JobContext, failing_brief, gather, record
from studio.settings import Settings

log = logging.getLogger(__name__)

POLL_S = 0.2
NAMESPACE_KEY = "queue_namespace"  # guild 0's setting: this database's name in Redis and the store
KEEP_S = 7 * 24 * 3600  # how long a finished job's keys stay in Redis (redeliveries find it finished)


class Remote:
    """The connection a follower uses: the Celery app, Redis and the store."""

    def __init__(self, settings: Settings):
        self.app = remote.sender(settings.queue_url, visibility_s=settings.queue_visibility_s)
        self.r = remote.redis_client(settings.queue_url)
        self.store = stores.open_store(settings.store_url, self.r)
        self.poll_s = POLL_S

    def send(self, ref: str, kind: str, inputs: dict, queue: str) -> None:
        self.app.send_task(remote.TASK, args=[ref, kind, inputs], queue=queue)


def job_ref(db, job_id: int) -> str:
    """How job ``job_id`` of this database is named in Redis and the store: a random namespace kept in the
    database, then the id (a new database never meets an old one's jobs)."""
    ns = get_guild_setting(db, 0, NAMESPACE_KEY)
    if not ns:
        ns = uuid.uuid4().hex[:10]
        with immediate(db):
            ns = get_guild_setting(db, 0, NAMESPACE_KEY) or ns
            set_guild_setting(db, 0, NAMESPACE_KEY, ns)
    return f"{ns}-{job_id}"


def follow(ctx: JobContext, conn: Remote) -> dict:
    """The handler of every kind when jobs run on other machines."""
    job = ctx.job
    with failing_brief(ctx, job.get("brief_id"), only_while=("writing",) if job["kind"] == "write" else None):
        inputs = gather(ctx.db, ctx.settings, job, ctx.on_progress)
        ref = job_ref(ctx.db, job["id"])
        shipped = remote.ship_inputs(conn.store, ref, inputs)
        outcome = _follow(ctx, conn, ref, shipped, remote.queue_for(job["kind"], inputs))
        if outcome["status"] == "failed":
            raise EngineError(outcome.get("error") or "the job failed on its worker")
        if outcome["status"] == "cancelled":
            raise Cancelled("the job was cancelled")
        stores.pull_dir(conn.store, f"jobs/{ref}", ctx.job_dir)  # the film, takes, checkpoint come home
        result = record(ctx.db, job, stores.localized(outcome["outcome"], ctx.job_dir))
        for key in remote.Keys(ref).all():
            conn.r.expire(key, KEEP_S)
        return result


def _follow(ctx: JobContext, conn: Remote, ref: str, shipped: dict, queue: str) -> dict:
    job_id, kind = ctx.job["id"], ctx.job["kind"]
    k, r = remote.Keys(ref), conn.r
    if r.get(k.outcome) is None and not r.exists(k.lease):
        conn.send(ref, kind, shipped, queue)  # first time, or followed again with nobody on it
    claims_at_send, saves_at_send, seen_saves, stalls = _int(r.get(k.claims)), None, None, 0
    while True:
        raw = r.get(k.outcome)
        if raw is not None:
            return json.loads(raw)
        prog = {a.decode(): b.decode() for a, b in r.hgetall(k.progress).items()}
        saves = int(prog.get("save_points") or 0)
        saves_at_send = saves if saves_at_send is None else saves_at_send
        _mirror(ctx, k, r, prog, saved=seen_saves is not None and saves > seen_saves)
        seen_saves = saves
        claims = _int(r.get(k.claims))
        if claims > claims_at_send and not r.exists(k.lease) and not r.exists(k.released) and r.get(k.outcome) is None:
            stalls = stalls + 1 if saves == saves_at_send else 0  # its worker died: with or without saving?
            if stalls >= int(ctx.job.get("max_attempts") or jobstore.MAX_ATTEMPTS):
                raise EngineError(f"its worker stopped {stalls} times in a row in the {prog.get('stage') or 'first'} "
                                  "stage without saving any progress (a crash loop); giving up")
            log.info("job %s: its worker stopped; sending it again", job_id)
            conn.send(ref, kind, shipped, queue)
            claims_at_send, saves_at_send = claims, saves
        time.sleep(conn.poll_s)


def _mirror(ctx: JobContext, k, r, prog: dict, saved: bool) -> None:
    """The remote progress into the database; a cancel from Discord or the CLI goes to the worker."""
    eta = prog.get("eta_s")
    p = Progress(prog.get("stage") or "queued", float(prog.get("fraction") or 0.0),
                 prog.get("message") or "waiting for a worker", float(eta) if eta else None,
                 saved="remote save point" if saved else None)
    try:
        ctx.on_progress(p)
    except Cancelled as e:
        from studio.worker import Released

        if not isinstance(e, Released):  # cancelled (or taken over): the worker stops at its next report
            log.info("job %s: %s; telling its worker to stop", ctx.job["id"], e)
            r.set(k.cancel, 1)
        raise


def _int(value) -> int:
    return int(value or 0)

