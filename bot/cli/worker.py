"""`python bot.py worker`: run jobs from the shared database in this process (several may run at once)."""
from __future__ import annotations

import argparse
import logging
import uuid

from bot.cli import CliError
from bot.settings import Settings
from studio import signals

NAME = "worker"
HELP = "run queued jobs (make, write, film, train) from BENJAMIN_HOME's database"
ORDER = 40
KINDS = ("make", "write", "film", "train")

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"job kinds to take, comma-separated ({','.join(KINDS)})")
    parser.add_argument("--lease", type=float, default=60.0, metavar="S",
                        help="seconds a job stays ours without a heartbeat; a dead worker's job is retaken after it")
    parser.add_argument("--poll", type=float, default=1.0, metavar="S", help="seconds between looks at an empty queue")
    parser.add_argument("--id", dest="worker_id", help="worker name in the job records (default host:pid:random)")
    parser.add_argument("--until-empty", action="store_true",
                        help="stop once no job is queued or running (instead of waiting for more)")
    parser.add_argument("--queues", default="gpu,cpu",
                        help="with BENJAMIN_QUEUE_URL: the Celery queues to take jobs from (gpu, cpu or both)")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from studio.worker import Worker
    from storage.db import open_db
    from storage.jobs import queue

    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise CliError(f"--kinds must name some of {', '.join(KINDS)}; unknown: {', '.join(unknown) or 'none given'}")
    if args.lease < 1 or args.poll <= 0:
        raise CliError("--lease must be at least 1 second and --poll above 0")
    settings.ensure_home()
    if settings.remote:
        return celery_worker(args, settings)
    worker = Worker(settings, worker_id=args.worker_id, lease_s=args.lease, poll_s=args.poll, kinds=kinds)
    signals.install(worker.stopping.set)  # the running job is given back; a second signal ends us at once
    stop = worker.stopping
    if not args.until_empty:
        worker.run_forever(stop)
        return 0
    db = open_db(settings.db_path)
    while not stop.is_set():
        if worker.run_once():
            continue
        if not [j for j in queue(db) if j["kind"] in kinds]:
            break
        stop.wait(args.poll)  # a job is running elsewhere (or its dead worker's lease has not expired yet)
    return 0


def celery_worker(args: argparse.Namespace, settings: Settings) -> int:
    """A worker machine: Celery (solo pool, prefetch 1, late acks) on BENJAMIN_QUEUE_URL; no database here."""
    from celery import signals as celery_signals
    from celery.worker import state

    from studio import remote

    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    if not queues or set(queues) - set(remote.QUEUES):
        raise CliError(f"--queues must name gpu, cpu or both, not {args.queues!r}")
    remote.configure(settings.queue_url, visibility_s=settings.queue_visibility_s)
    config = remote.WorkerConfig
    config.home, config.lease_s, config.device = settings.home, args.lease, settings.device
    config.queue_url, config.store_url = settings.queue_url, settings.store_url

    def stop() -> None:  # the job in hand goes back to the queue at its next report; Celery then stops
        config.stopping.set()
        state.should_stop = 0

    @celery_signals.worker_ready.connect(weak=False)
    def _ours(**_kwargs) -> None:  # after Celery's own handlers: ours, whatever was inherited
        signals.install(stop)

    name = args.worker_id or f"benjamin-{'-'.join(queues)}-{uuid.uuid4().hex[:6]}@%h"
    worker = remote.app.Worker(queues=queues, pool="solo", concurrency=1, prefetch_multiplier=1, hostname=name,
                               without_heartbeat=True, without_mingle=True, without_gossip=True, quiet=True,
                               loglevel=settings.log_level, optimization="fair")
    log.info("worker %s: taking jobs from %s", name, ", ".join(queues))
    worker.start()
    return int(worker.exitcode or 0)
