"""Starting a brief, and what its jobs' outcomes mean for it. `/film`, a mention, a scheduled challenge
and `bot.py make` all start a brief through :func:`start_brief`."""
from __future__ import annotations

from storage import jobs
from storage.briefs import create_brief, get_brief
from storage.db import immediate
from storage.settings import get_guild_setting
from storage.takes import takes_for_brief
from studio import life

DEFAULT_TAKES = 3
WRITER_KEY = "writer_model"  # guild setting: the guild's writer checkpoint ("shipped" or absent = default)


def cap_message(active: int, cap: int) -> str:
    return (f"You already have {active} job(s) queued or running; the limit is {cap}. "
            "Wait for one to finish or `/cancel` it.")


def start_brief(db, brief: dict, *, takes: int, source: str, guild_id: int = 0, channel_id: int = 0,
                requester_id: int = 0, cap: int = 0, vote_seconds: int | None = None,
                produce: dict | None = None) -> tuple[int, int] | str:
    """Store the brief and queue its first job in one transaction; a string is a refusal to show.

    Without ``produce`` the job writes ``takes`` takes to vote on (Discord). With ``produce`` (production
    options: take, cast, size, ...), a "make" job writes them, picks the best (or ``produce["take"]``) and
    makes the film straight away (`bot.py make`). ``vote_seconds``: how long its vote stays open (default
    BENJAMIN_VOTE_SECONDS), kept in the brief's "extra" data where the ballot reads it.
    """
    if vote_seconds is not None:
        brief = {**brief, "extra": {**(brief.get("extra") or {}), "vote_seconds": int(vote_seconds)}}
    with immediate(db):
        active = jobs.user_active_count(db, requester_id)
        if cap and active >= cap:
            return cap_message(active, cap)
        brief_id = create_brief(db, brief, guild_id=guild_id, channel_id=channel_id,
                                requester_id=requester_id, source=source)
        if produce is not None:
            kind, payload = "make", {**produce, "brief": brief, "takes": takes}
        else:
            kind, payload = "write", {"brief_id": brief_id, "takes": takes}
        model = get_guild_setting(db, guild_id, WRITER_KEY)
        if model and model != "shipped" and not payload.get("model"):
            payload["model"] = model
        job_id = jobs.enqueue(db, kind, payload, requester_id=requester_id, guild_id=guild_id,
                              channel_id=channel_id, brief_id=brief_id)
    return brief_id, job_id


def film_posted(db, brief_id: int | None) -> None:
    """The film is in the channel."""
    life.move(db, brief_id, "posted")


def outcome_reported(db, job: dict) -> None:
    """A failed or cancelled job was reported: its brief fails (or is cancelled) when that job was its
    film, or its first takes (a late extra take failing keeps the vote open)."""
    if not job.get("brief_id") or job["status"] not in ("failed", "cancelled"):
        return
    brief = get_brief(db, job["brief_id"])
    if brief is None:
        return
    if job["kind"] in ("film", "make") or (brief["status"] == "writing" and not takes_for_brief(db, brief["id"])):
        life.move(db, brief["id"], "cancelled" if job["status"] == "cancelled" else "failed")
