"""Voting on a brief's takes: one vote per person, closing it sends the winner to production.

Called by the vote cog with what Discord saw (reactions, buttons, deadlines); everything here is storage
and the brief's life, nothing of Discord.
"""
from __future__ import annotations

from storage import jobs
from storage.briefs import briefs_with_status, get_brief, set_vote_deadline
from storage.db import immediate
from storage.takes import take_by_message, takes_for_brief
from storage.votes import cast_vote, tally, user_vote, votes_for_brief, winner, withdraw_vote
from studio import life
from studio.briefs import cap_message

EXTRA_TAKE_VOTE_S = 120  # a late take gets at least this long to be voted on


def record_reaction(db, message_id: int, user_id: int, number: int | None, added: bool) -> str | None:
    """Apply one reaction (``number``: the number it shows, None for any other emoji) on message
    ``message_id``; returns "cast", "withdrawn" or None when it is not a vote."""
    take = take_by_message(db, message_id)
    if take is None or number != take["index"]:
        return None
    brief = get_brief(db, take["brief_id"])
    if brief is None or brief["status"] != "voting":
        return None
    if added:
        cast_vote(db, take["brief_id"], user_id, take["id"])
        return "cast"
    return "withdrawn" if withdraw_vote(db, take["brief_id"], user_id, take["id"]) else None


def close_vote(db, brief_id: int, max_mb: float, overrides: dict | None = None) -> dict | None:
    """Close a voting brief and queue the winner's film job, atomically; None when it was not voting."""
    with immediate(db):
        brief = get_brief(db, brief_id)
        if brief is None or brief["status"] != "voting":
            return None
        counts = tally(db, brief_id)
        take_id = winner(db, brief_id, tiebreak_take_id=user_vote(db, brief_id, brief["requester_id"]))
        if take_id is None:
            life.move(db, brief_id, "failed")
            return {"brief": brief, "take": None, "tally": counts, "job_id": None, "index_of": {}}
        life.move(db, brief_id, "producing")
        payload = {**(overrides or {}), "brief_id": brief_id, "take_id": take_id, "max_mb": max_mb,
                   "cast_guild_id": brief["guild_id"]}
        job_id = jobs.enqueue(db, "film", payload,
                              requester_id=brief["requester_id"], guild_id=brief["guild_id"],
                              channel_id=brief["channel_id"], brief_id=brief_id)
    index_of = {t["id"]: t["index"] for t in takes_for_brief(db, brief_id)}
    return {"brief": brief, "take": take_id, "tally": counts, "job_id": job_id, "index_of": index_of}


def voting_takes(db) -> list[tuple[dict, list[dict]]]:
    """Every open vote with its posted takes."""
    return [(b, [t for t in takes_for_brief(db, b["id"]) if t.get("message_id")])
            for b in briefs_with_status(db, "voting")]


def reconcile_votes(db, brief_id: int, reacted: dict[int, list[int]]) -> int:
    """Make stored votes match the reactions on the take messages (seen while the bot was away).

    ``reacted``: user id -> take ids they react to, in take order. A stored vote still backed by a
    reaction stays; otherwise the user's last reacted take counts; votes with no reaction go.
    Returns the number of votes changed.
    """
    changed = 0
    with immediate(db):
        stored = votes_for_brief(db, brief_id)
        for user_id, take_id in stored.items():
            if take_id not in reacted.get(user_id, ()):
                changed += withdraw_vote(db, brief_id, user_id, take_id)
        for user_id, takes in reacted.items():
            if takes and stored.get(user_id) not in takes:
                cast_vote(db, brief_id, user_id, takes[-1])
                changed += 1
    return changed


def latest_voting_brief(db, channel_id: int) -> dict | None:
    rows = [b for b in briefs_with_status(db, "voting") if b["channel_id"] == channel_id]
    return rows[-1] if rows else None


def more_takes(db, brief_id: int, user_id: int, max_takes: int, cap: int) -> tuple[int, int] | str:
    """Queue one more take of a voting brief, within the per-brief and per-user caps."""
    with immediate(db):
        brief = get_brief(db, brief_id)
        if brief is None or brief["status"] != "voting":
            return "Voting on that brief is closed, so no more takes."
        have = len(takes_for_brief(db, brief_id))
        brief_jobs = jobs.jobs_for_brief(db, brief_id)
        coming = sum(int(j["payload"].get("takes", 1)) for j in brief_jobs
                     if j["kind"] == "write" and j["status"] in jobs.ACTIVE)
        if have + coming >= max_takes:
            return f"This brief already has {have + coming} take(s) written or on the way; the limit is {max_takes}."
        active = jobs.user_active_count(db, user_id)
        if cap and active >= cap:
            return cap_message(active, cap)
        payload = {"brief_id": brief_id, "takes": 1, "start_index": have + coming}  # worker numbers it have+coming+1
        if brief_jobs and brief_jobs[0]["payload"].get("model"):  # the same writer as the first takes
            payload["model"] = brief_jobs[0]["payload"]["model"]
        job_id = jobs.enqueue(db, "write", payload, requester_id=user_id, guild_id=brief["guild_id"],
                              channel_id=brief["channel_id"], brief_id=brief_id)
    return have + coming + 1, job_id


def open_ballot(db, brief_id: int, now: float, vote_s: float) -> dict | None:
    """Open a brief's vote (writing → voting, closing ``vote_s`` from now, or the brief's own "vote_seconds")
    or, for a late take, keep it open at least EXTRA_TAKE_VOTE_S more; atomically. Returns the brief as it
    is now, or None when it is no longer open to votes (closed while its takes were being posted)."""
    with immediate(db):
        brief = get_brief(db, brief_id)
        if brief is None or brief["status"] not in ("writing", "voting"):
            return None
        extra = brief["brief"].get("extra") or {}
        vote_s = extra.get("vote_seconds") or vote_s
        if brief["status"] == "writing":
            deadline = extra.get("vote_closes_at") or now + vote_s  # a challenge's close is set when it opens
            life.move(db, brief_id, "voting")
        else:
            deadline = max(brief.get("vote_deadline") or 0, now + min(vote_s, EXTRA_TAKE_VOTE_S))
        set_vote_deadline(db, brief_id, deadline)
        return get_brief(db, brief_id)
