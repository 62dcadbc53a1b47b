"""A challenge's life, from storage alone (no Discord): open → vote → close → produce → premiere.

    open       brief drawn (or given), takes being written, then voted on   (phase "open")
    remind     "voting closes <t:…:R>" posted ahead of the close            (remind_at)
    close      the vote closes when production must start to finish in time (close_at; phase "producing")
    late       the deadline came and the film is not ready: said once       (deadline)
    premiere   the film is posted at the deadline, or as soon after it as it is ready (phase "premiered")

The close time is ``deadline - production - margin``: production is the sum, over the film job's stages,
of the 80th percentile of each stage's measured time in the last finished film jobs (a first guess when
none has finished yet); the margin is half of that, at least 15 minutes. The vote stays open at least
half the challenge whatever the estimate says.

Every function takes ``now`` (the caller's clock), so a 48-hour challenge runs in seconds in tests. When a
server's schedule starts one is bot.challenge_schedule's to say (crontab and APScheduler stay out of studio/).
:func:`advance` is idempotent: each step is claimed in storage before it is returned to be posted, so a
step missed while the bot was down runs once when it is next called, and nothing is posted twice.
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field

from engine.brief import Brief
from engine.challenge import ChallengeLists, load_lists, lists_from, random_brief
from engine.errors import BriefError
from storage import challenges as store
from storage import jobs
from storage.briefs import get_brief
from storage.cast import list_members
from storage.db import StorageError, immediate
from storage.films import film_for_job
from storage.takes import get_take, takes_for_brief
from storage.votes import tally
from studio import life
from studio.briefs import start_brief
from studio.voting import close_vote

log = logging.getLogger(__name__)


class ChallengeError(Exception):
    """Why a challenge cannot start or change (one line, for the person who asked)."""


@dataclass(frozen=True)
class LifeConfig:
    takes: int = 3  # takes written when a challenge opens (as /film by default)
    default_production_s: float = 600.0  # production time guessed before any film job has finished
    percentile: float = 0.8  # of each stage's measured times
    margin_fraction: float = 0.5  # spare time, as a share of the production estimate ...
    min_margin_s: float = 900.0  # ... and at least this
    min_vote_fraction: float = 0.5  # the vote stays open at least this share of the challenge
    warn_s: float = 3600.0  # the close is announced this long before it (a tenth of the vote if shorter)
    samples: int = 20  # finished film jobs the estimate looks at


@dataclass(frozen=True)
class Estimate:
    production_s: float
    margin_s: float
    jobs: int  # finished film jobs measured (0: the first guess)
    stages: dict = field(default_factory=dict)  # stage -> seconds (the percentile)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """Something to post for a challenge. ``kind``: opened, reminder, closed, no_takes, failed, late, premiere."""
    kind: str
    challenge: dict
    brief: dict
    data: dict = field(default_factory=dict)


# ---- the clock ----------------------------------------------------------------------------------------

def estimate_production(samples: list[dict[str, float]], config: LifeConfig = LifeConfig()) -> Estimate:
    """Production time from measured stage times (see the module docstring)."""
    if not samples:
        p = config.default_production_s
        return Estimate(p, max(config.min_margin_s, config.margin_fraction * p), 0, {})
    stages: dict[str, float] = {}
    for name in sorted({s for sample in samples for s in sample}):
        times = sorted(sample[name] for sample in samples if name in sample)
        stages[name] = times[min(len(times) - 1, math.ceil(config.percentile * len(times)) - 1)]
    p = sum(stages.values())
    return Estimate(p, max(config.min_margin_s, config.margin_fraction * p), len(samples), stages)


def plan_times(opened_at: float, deadline: float, est: Estimate,
               config: LifeConfig = LifeConfig()) -> tuple[float, float]:
    """(remind_at, close_at) for a challenge open from ``opened_at`` to ``deadline``."""
    span = max(0.0, deadline - opened_at)
    close_at = deadline - est.production_s - est.margin_s
    close_at = min(deadline, max(close_at, opened_at + config.min_vote_fraction * span))
    remind_at = close_at - min(config.warn_s, 0.1 * (close_at - opened_at))
    return remind_at, close_at


def next_due(ch: dict) -> float | None:
    """The next time :func:`advance` has something timed to do for this challenge (None: nothing timed)."""
    if ch["phase"] == "open":
        return ch["remind_at"] if ch["reminded_at"] is None else ch["close_at"]
    if ch["phase"] == "producing" and ch["late_noted_at"] is None and ch["premiered_at"] is None:
        return ch["deadline"]
    return None


# ---- opening ----------------------------------------------------------------------------------------

def shipped_pool() -> dict[str, list[str]]:
    lists = load_lists()
    return {"title": list(lists.titles), "line": list(lists.lines), "prop": list(lists.props),
            "science": list(lists.science)}


def server_lists(db, guild_id: int) -> ChallengeLists | None:
    """The server's own pool (None: the shipped lists); ChallengeError when a needed list is empty."""
    own = store.pool_lists(db, guild_id)
    if own is None:
        return None
    try:
        return lists_from(own, "This server's challenge pool")
    except BriefError as e:
        raise ChallengeError(f"{e} (`/challenge pool add`).") from None


def open_challenge(db, *, guild_id: int, channel_id: int, now: float, duration_s: float, bot_id: int,
                   brief: dict | None = None, seed: int | None = None, started_by: int = 0,
                   schedule: dict | None = None, slot_ts: float | None = None,
                   config: LifeConfig = LifeConfig(), cast_names: bool = False) -> dict | None:
    """Open a challenge (brief stored, its takes queued, the challenge row) in one transaction.
    ``cast_names``: the takes name their parts after the server's cast, who then play them (a scheduled one:
    as its schedule says).

    A scheduled one (``schedule`` + ``slot_ts``) is opened once per slot (None when already opened) and its
    deadline is the slot + its duration, so a start caught up late still ends on time.
    ChallengeError when the channel already runs one or the pool cannot give a brief.
    """
    deadline = (slot_ts if slot_ts is not None else now) + duration_s
    cast_names = cast_names or bool(schedule and schedule.get("cast_names"))
    with immediate(db):
        running = store.active_in_channel(db, channel_id)
        if running:
            raise ChallengeError(f"Challenge #{running['id']} is already running in <#{channel_id}>; "
                                 "`/challenge end` stops it.")
        if schedule is not None and not store.claim_slot(db, schedule["id"], slot_ts):
            return None
        try:
            drawn = (Brief.from_dict(brief).validated() if brief else
                     random_brief(seed, lists=server_lists(db, guild_id)))
        except BriefError as e:
            raise ChallengeError(f"I can't use that brief: {e}") from None
        est = estimate_production(store.film_stage_samples(db, config.samples), config)
        remind_at, close_at = plan_times(now, deadline, est, config)
        data = drawn.to_dict()
        data["extra"] = {**(data.get("extra") or {}), "challenge": True,
                         "vote_closes_at": close_at, "vote_seconds": max(1, int(close_at - now))}
        if cast_names:
            data["extra"]["cast_names"] = True
        brief_id, _job = start_brief(db, data, takes=config.takes, source="challenge", guild_id=guild_id,
                                     channel_id=channel_id, requester_id=bot_id)
        try:
            cid = store.create_challenge(db, guild_id=guild_id, channel_id=channel_id, brief_id=brief_id,
                                         opened_at=now, remind_at=remind_at, close_at=close_at, deadline=deadline,
                                         estimate=est.to_dict(), started_by=started_by,
                                         schedule_id=schedule["id"] if schedule else None, slot_ts=slot_ts)
        except StorageError as e:
            raise ChallengeError(str(e)) from None
    return store.get_challenge(db, cid)


# ---- advancing ----------------------------------------------------------------------------------------

def advance(db, challenge_id: int, now: float, *, timed: bool = True, max_mb: float = 10.0,
            film_overrides: dict | None = None) -> list[Step]:
    """Run every step now due for the challenge (each claimed once) and return what to post, in order.

    ``timed=False`` (a poll) only follows what others did: a vote closed early, a failed film, a late film
    that is now ready. The timed steps (remind, close, the deadline) run with ``timed=True``.
    """
    steps: list[Step] = []
    for _ in range(6):  # each pass moves at most one step on
        ch = store.get_challenge(db, challenge_id)
        if ch is None:
            return steps
        brief = get_brief(db, ch["brief_id"])
        step = _one_step(db, ch, brief, now, timed, max_mb, film_overrides)
        if step is None:
            return steps
        if step.kind:
            steps.append(step)
        if step.kind == "premiere":  # posted by the caller, then recorded with premiere_posted
            return steps
    return steps


def _one_step(db, ch, brief, now, timed, max_mb, overrides) -> Step | None:
    cid, phase = ch["id"], ch["phase"]
    if phase not in store.ACTIVE_PHASES:
        return None
    if ch["announced_at"] is None:
        return Step("opened", ch, brief) if store.claim_step(db, cid, "announced_at", now) else None
    if brief["status"] in ("failed", "cancelled"):
        ok = store.claim_step(db, cid, "ended_at", now, phase="failed")
        return Step("failed", ch, brief) if ok else None
    if phase == "open":
        if timed and ch["reminded_at"] is None and now >= ch["remind_at"]:
            quiet = now >= ch["close_at"]  # missed while down: the close itself says it all
            ok = store.claim_step(db, cid, "reminded_at", now, phases=("open",))
            return Step("" if quiet else "reminder", ch, brief) if ok else None
        if brief["status"] == "producing" or (timed and now >= ch["close_at"]):
            return _close(db, ch, now, max_mb, overrides)
        return None
    # producing
    if ch["premiered_at"] is not None:  # claimed but not recorded as posted (a restart): post it, carefully
        return _premiere_step(db, ch, brief, now, resumed=True)
    if not (timed and now >= ch["deadline"]) and ch["late_noted_at"] is None:
        return None
    job = jobs.get_job(db, ch["film_job_id"]) if ch["film_job_id"] else None
    if job is not None and job["status"] == "done":
        if store.claim_step(db, cid, "premiered_at", now, phases=("producing",)):
            return _premiere_step(db, ch, brief, now, resumed=False)
        return None
    if ch["late_noted_at"] is None and store.claim_step(db, cid, "late_noted_at", now, phases=("producing",)):
        return Step("late", ch, brief, {"job": job})
    return None


def _close(db, ch: dict, now: float, max_mb: float, overrides: dict | None) -> Step | None:
    """Close the vote (studio.voting.close_vote, ties to the lowest take) or adopt a close done from the ballot
    (✅ or `/produce`), and record the film job the premiere waits for."""
    with immediate(db):
        ch = store.get_challenge(db, ch["id"])
        if ch["phase"] != "open" or ch["closed_at"] is not None:
            return None
        brief = get_brief(db, ch["brief_id"])
        early = brief["status"] == "producing"
        if early:  # someone closed it from the ballot; the film job is theirs
            film = [j for j in jobs.jobs_for_brief(db, brief["id"]) if j["kind"] == "film"]
            job_id = film[-1]["id"] if film else None
            take_id = film[-1]["payload"].get("take_id") if film else None
            counts = tally(db, brief["id"])
        else:
            out = close_vote(db, brief["id"], max_mb, overrides)
            if out is None or out["take"] is None:  # still writing (no ballot yet), or no takes at all
                life.move(db, brief["id"], "failed")
                store.claim_step(db, ch["id"], "closed_at", now, phases=("open",), phase="failed")
                return Step("no_takes", ch, brief, {"writing": brief["status"] == "writing"})
            take_id, job_id, counts = out["take"], out["job_id"], out["tally"]
        store.claim_step(db, ch["id"], "closed_at", now, phases=("open",), phase="producing")
        store.claim_step(db, ch["id"], "reminded_at", now, phases=("producing",))  # nothing left to remind of
        store.update_challenge(db, ch["id"], film_job_id=job_id)
        index_of = {t["id"]: t["index"] for t in takes_for_brief(db, brief["id"])}
        return Step("closed", store.get_challenge(db, ch["id"]), get_brief(db, brief["id"]),
                    {"tally": counts, "index_of": index_of, "take_index": index_of.get(take_id), "job_id": job_id,
                     "early": early})


def _premiere_step(db, ch: dict, brief: dict, now: float, *, resumed: bool) -> Step:
    ch = store.get_challenge(db, ch["id"])
    job = jobs.get_job(db, ch["film_job_id"])
    film = film_for_job(db, job["id"]) or {}
    take = get_take(db, job["payload"].get("take_id")) if job["payload"].get("take_id") else None
    counts = tally(db, brief["id"])
    voters = sum(counts.values())
    return Step("premiere", ch, brief, {
        "job": job, "film": film, "take": take, "result": job.get("result") or {},
        "votes": counts.get(take["id"], 0) if take else 0, "voters": voters,
        "cast": [m["name"] for m in list_members(db, ch["guild_id"])],
        "missed_by_s": max(0.0, ch["premiered_at"] - ch["deadline"]), "resumed": resumed})


def premiere_posted(db, challenge_id: int, message_id: int | None) -> None:
    """The premiere is on the channel: the challenge is done and delivery never posts its film."""
    with immediate(db):
        ch = store.get_challenge(db, challenge_id)
        store.update_challenge(db, challenge_id, phase="premiered", premiere_message_id=message_id)
        if ch["film_job_id"]:
            jobs.mark_posted(db, ch["film_job_id"], message_id)
        life.move(db, ch["brief_id"], "posted")  # its film premiered


def end_challenge(db, challenge_id: int, now: float, user_id: int) -> dict | None:
    """Stop a running challenge early: its jobs cancelled, its brief cancelled. None if it was not running."""
    with immediate(db):
        ch = store.get_challenge(db, challenge_id)
        if ch is None or not store.claim_step(db, challenge_id, "ended_at", now, phase="ended", ended_by=user_id):
            return None
        for job in jobs.jobs_for_brief(db, ch["brief_id"]):
            if job["status"] in jobs.ACTIVE:
                jobs.cancel(db, job["id"])
        brief = get_brief(db, ch["brief_id"])
        if brief["status"] not in ("done", "failed", "cancelled"):
            life.move(db, ch["brief_id"], "cancelled")
    return store.get_challenge(db, challenge_id)


# ---- what /challenge status and history show ------------------------------------------------------------

def status_facts(db, guild_id: int, channel_id: int) -> dict | None:
    """This channel's running challenge, else the server's latest; None when there is none."""
    ch = store.active_in_channel(db, channel_id) or (store.active_in_guild(db, guild_id) or [None])[0] \
        or store.latest_in_guild(db, guild_id)
    if ch is None:
        return None
    brief = get_brief(db, ch["brief_id"])
    return {"ch": ch, "brief": brief, "takes": len(takes_for_brief(db, ch["brief_id"])),
            "voters": sum(tally(db, ch["brief_id"]).values()), "cast": len(list_members(db, guild_id)),
            "film_job": jobs.get_job(db, ch["film_job_id"]) if ch["film_job_id"] else None}


def history_facts(db, guild_id: int, limit: int = 10) -> list[dict]:
    out = []
    for ch in store.past_challenges(db, guild_id, limit):
        job = jobs.get_job(db, ch["film_job_id"]) if ch["film_job_id"] else None
        take = get_take(db, job["payload"].get("take_id")) if job and job["payload"].get("take_id") else None
        counts = tally(db, ch["brief_id"])
        out.append({"ch": ch, "brief": get_brief(db, ch["brief_id"]), "take_index": take["index"] if take else None,
                    "votes": counts.get(take["id"], 0) if take else 0, "voters": sum(counts.values()),
                    "message_id": ch["premiere_message_id"]})
    return out
