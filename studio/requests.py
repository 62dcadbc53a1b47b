"""Requests that queue work from the bot's side: smaller re-renders, training; and what is ready to post."""
from __future__ import annotations

from storage import jobs
from storage.challenges import held_film_job_ids
from storage.db import immediate
from storage.settings import get_guild_setting
from studio.briefs import WRITER_KEY, cap_message

POSTED_KINDS = ("write", "film", "train")  # job kinds whose outcome is posted to a channel
FILE_MARGIN_BYTES = 512 * 1024  # room for the poster and script beside the mp4


def render_budget_mb(limit_mb: float) -> float:
    """What the renderer may use of an upload limit, leaving room for the other attachments."""
    return max(1.0, round(limit_mb - FILE_MARGIN_BYTES / 2**20 - 0.05 * limit_mb, 2))


def pending_posts(db) -> list[dict]:
    """Finished jobs whose outcome is not posted yet (and that have a channel to post to); a challenge's film is
    left to the challenge, which premieres it at its deadline."""
    # finished jobs first, held ones second: a film finishing between the two reads is then either absent from
    # the first (posted next tick, if at all) or in both; the other order let such a film slip out before its premiere
    finished = jobs.finished_unposted(db, kinds=POSTED_KINDS)
    held = held_film_job_ids(db)
    return [j for j in finished if j.get("channel_id") and j["id"] not in held]


def queue_smaller(db, job: dict, payload: dict, user_id: int, cap: int) -> int | str:
    """Queue ``job``'s film again with ``payload``, within ``user_id``'s cap, in one transaction (a double
    click cannot pass the cap twice); a string is a refusal to show."""
    with immediate(db):
        active = jobs.user_active_count(db, user_id)
        if cap and active >= cap:
            return cap_message(active, cap)
        return jobs.enqueue(db, "film", payload, requester_id=job["requester_id"], guild_id=job["guild_id"],
                            channel_id=job["channel_id"], brief_id=job["brief_id"])


def queue_train(db, corpus: list[str], preset: str, steps: int | None, *, guild_id: int, channel_id: int,
                user_id: int, cap: int = 0, minutes: float | None = None) -> int | str:
    """Queue a training job (one per guild at a time, within the user's cap); a string is a refusal.
    ``minutes``: a wall-clock budget (``steps`` is then only a ceiling), as ``bot.py train --minutes``."""
    with immediate(db):
        active = jobs.user_active_count(db, user_id)
        if cap and active >= cap:
            return cap_message(active, cap)
        busy = jobs.active_of_kind(db, "train", guild_id)
        if busy:
            return f"This server already has a training job (#{busy[0]['id']}); wait for it or `/cancel` it."
        payload = {"corpus": corpus, "preset": preset, "steps": steps, "guild_id": guild_id}
        if minutes is not None:
            payload["minutes"] = float(minutes)
        return jobs.enqueue(db, "train", payload, requester_id=user_id, guild_id=guild_id, channel_id=channel_id)


def train_status(db, guild_id: int) -> dict:
    last = jobs.latest_of_kind(db, "train", guild_id)
    return {"writer": get_guild_setting(db, guild_id, WRITER_KEY), "last": last}
