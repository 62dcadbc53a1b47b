"""Voting on takes: number reactions count one vote per user per brief; closing sends the winner to production.

A reaction with a take's own number on that take's message votes for it (moving any earlier vote);
removing it withdraws the vote if it is still the user's vote. Bots (this one included) never vote.
Voting closes at the deadline (BENJAMIN_VOTE_SECONDS), or early by the requester or an admin
(✅ button or /produce); ties go to the take the requester voted for.
"""
from __future__ import annotations

import logging
import time
from typing import Optional

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs._common import interaction_is_admin, tell
from bot.cogs.delivery import render_budget_mb
from bot.text import emoji_number, number_emoji, safe, tally_text

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


def record_reaction(db, message_id: int, user_id: int, emoji: str, added: bool) -> str | None:
    """Apply one reaction event; returns "cast", "withdrawn" or None when it is not a vote."""
    from storage.briefs import get_brief
    from storage.takes import take_by_message
    from storage.votes import cast_vote, withdraw_vote

    take = take_by_message(db, message_id)
    if take is None or emoji_number(emoji) != take["index"]:
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
    from storage import jobs
    from storage.briefs import get_brief, set_brief_status
    from storage.db import immediate
    from storage.takes import takes_for_brief
    from storage.votes import tally, user_vote, winner

    with immediate(db):
        brief = get_brief(db, brief_id)
        if brief is None or brief["status"] != "voting":
            return None
        counts = tally(db, brief_id)
        take_id = winner(db, brief_id, tiebreak_take_id=user_vote(db, brief_id, brief["requester_id"]))
        if take_id is None:
            set_brief_status(db, brief_id, "failed")
            return {"brief": brief, "take": None, "tally": counts, "job_id": None, "index_of": {}}
        set_brief_status(db, brief_id, "producing")
        payload = {**(overrides or {}), "brief_id": brief_id, "take_id": take_id, "max_mb": max_mb,
                   "cast_guild_id": brief["guild_id"]}
        job_id = jobs.enqueue(db, "film", payload,
                              requester_id=brief["requester_id"], guild_id=brief["guild_id"],
                              channel_id=brief["channel_id"], brief_id=brief_id)
    index_of = {t["id"]: t["index"] for t in takes_for_brief(db, brief_id)}
    return {"brief": brief, "take": take_id, "tally": counts, "job_id": job_id, "index_of": index_of}


def voting_takes(db) -> list[tuple[dict, list[dict]]]:
    """Every open vote with its posted takes."""
    from storage.briefs import briefs_with_status
    from storage.takes import takes_for_brief

    return [(b, [t for t in takes_for_brief(db, b["id"]) if t.get("message_id")])
            for b in briefs_with_status(db, "voting")]


def reconcile_votes(db, brief_id: int, reacted: dict[int, list[int]]) -> int:
    """Make stored votes match the reactions on the take messages (seen while the bot was away).

    ``reacted``: user id -> take ids they react to, in take order. A stored vote still backed by a
    reaction stays; otherwise the user's last reacted take counts; votes with no reaction go.
    Returns the number of votes changed.
    """
    from storage.db import immediate
    from storage.votes import cast_vote, withdraw_vote

    changed = 0
    with immediate(db):
        stored = {r["user_id"]: r["take_id"] for r in db.query(
            "SELECT user_id, take_id FROM votes WHERE brief_id = ?", [brief_id])}
        for user_id, take_id in stored.items():
            if take_id not in reacted.get(user_id, ()):
                changed += withdraw_vote(db, brief_id, user_id, take_id)
        for user_id, takes in reacted.items():
            if takes and stored.get(user_id) not in takes:
                cast_vote(db, brief_id, user_id, takes[-1])
                changed += 1
    return changed


def latest_voting_brief(db, channel_id: int) -> dict | None:
    from storage.briefs import briefs_with_status

    rows = [b for b in briefs_with_status(db, "voting") if b["channel_id"] == channel_id]
    return rows[-1] if rows else None


def more_takes(db, brief_id: int, user_id: int, max_takes: int, cap: int) -> tuple[int, int] | str:
    """Queue one more take of a voting brief, within the per-brief and per-user caps."""
    from storage import jobs
    from storage.briefs import get_brief
    from storage.db import immediate
    from storage.takes import takes_for_brief

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
            return f"You already have {active} job(s) queued or running; the limit is {cap}."
        payload = {"brief_id": brief_id, "takes": 1, "start_index": have + coming}  # worker numbers it have+coming+1
        if brief_jobs and brief_jobs[0]["payload"].get("model"):  # the same writer as the first takes
            payload["model"] = brief_jobs[0]["payload"]["model"]
        job_id = jobs.enqueue(db, "write", payload, requester_id=user_id, guild_id=brief["guild_id"],
                              channel_id=brief["channel_id"], brief_id=brief_id)
    return have + coming + 1, job_id


class Vote(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.deadlines.change_interval(seconds=self.bot.poll_seconds)
        self.deadlines.start()

    async def cog_unload(self) -> None:
        self.deadlines.cancel()

    # ---- reactions -------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or (payload.member is not None and payload.member.bot):
            return
        await self._react(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None:
            return
        await self._react(payload, added=False)

    async def _react(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        if self.bot.user is None or payload.user_id == self.bot.user.id:
            return  # the bot's own number reactions are not votes
        outcome = await self.bot.db(record_reaction, payload.message_id, payload.user_id, str(payload.emoji), added)
        if outcome:
            log.debug("vote %s by %s on message %s", outcome, payload.user_id, payload.message_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After a (re)start or a fresh session, count reactions added or removed while we were away."""
        try:
            await self.reconcile()
        except discord.HTTPException as e:
            log.warning("could not re-read the vote reactions: %s", e)

    async def reconcile(self) -> None:
        for brief, takes in await self.bot.db(voting_takes):
            reacted: dict[int, list[int]] = {}
            for take in takes:
                if take["index"] > 10:
                    continue
                for user_id in await self._reaction_users(brief["channel_id"], take["message_id"],
                                                          number_emoji(take["index"])):
                    reacted.setdefault(user_id, []).append(take["id"])
            changed = await self.bot.db(reconcile_votes, brief["id"], reacted)
            if changed:
                log.info("brief %s: %d vote(s) caught up after reconnecting", brief["id"], changed)

    async def _reaction_users(self, channel_id: int, message_id: int, emoji: str) -> list[int]:
        """Non-bot users reacting with ``emoji`` (all pages)."""
        out: list[int] = []
        after = None
        while True:
            try:
                page = await self.bot.http.get_reaction_users(channel_id, message_id, emoji, 100, after=after)
            except discord.NotFound:
                return out
            out += [int(u["id"]) for u in page if not u.get("bot")]
            if len(page) < 100:
                return out
            after = int(page[-1]["id"])

    # ---- closing ---------------------------------------------------------------------------------

    @tasks.loop(seconds=POLL_SECONDS)
    async def deadlines(self) -> None:
        from storage.briefs import briefs_voting_due

        try:
            due = await self.bot.db(briefs_voting_due, time.time())
        except Exception:
            log.exception("votes: cannot read deadlines")
            return
        for brief in due:
            if (brief["brief"].get("extra") or {}).get("challenge"):
                continue  # a challenge closes its own vote, on its own clock (bot.challenge_life)
            try:
                await self.close(brief["id"], reason="time is up")
            except Exception:  # the vote is closed in storage first; only the announcement can be lost
                log.exception("votes: closing brief %s", brief["id"])

    @deadlines.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def close(self, brief_id: int, reason: str) -> dict | None:
        """Close the vote (once), announce the winner in the brief's channel; None if it was not open."""
        from storage.briefs import get_brief

        brief = await self.bot.db(get_brief, brief_id)
        if brief is None:
            return None
        max_mb = render_budget_mb(self.bot.upload_limit_mb(brief["guild_id"]))
        out = await self.bot.db(close_vote, brief_id, max_mb, self.bot.film_overrides)
        if out is None:
            return None
        channel = await self.bot.channel(brief["channel_id"])
        title = safe(brief["brief"].get("title"), 100)
        if out["take"] is None:
            text = f"🗳️ Voting on *{title}* closed ({reason}), but it has no takes to produce."
        else:
            i = out["index_of"].get(out["take"], "?")
            text = (f"🗳️ Voting on *{title}* closed ({reason}). **Take {i}** wins "
                    f"({tally_text(out['tally'], out['index_of'])}). Producing it now: job #{out['job_id']}.")
        if channel is not None:
            try:
                await channel.send(text)
            except discord.HTTPException as e:  # the vote is closed and the film queued all the same
                log.warning("brief %s: could not announce the winner: %s", brief_id, e)
            if brief.get("message_id"):  # the ballot's buttons are done
                try:
                    await channel.get_partial_message(brief["message_id"]).edit(view=None)
                except discord.HTTPException:
                    pass
        return out

    def _may_close(self, interaction: discord.Interaction, brief: dict) -> bool:
        return interaction.user.id == brief["requester_id"] or interaction_is_admin(interaction)

    async def close_from_interaction(self, interaction: discord.Interaction, brief_id: int) -> None:
        """✅ Close vote button."""
        from storage.briefs import get_brief

        brief = await self.bot.db(get_brief, brief_id)
        if brief is None:
            await tell(interaction, "That brief is gone.")
            return
        if not self._may_close(interaction, brief):
            await tell(interaction, "Only the person who asked for this film, or an admin, can close the vote.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        out = await self.close(brief_id, reason=f"closed by {safe(interaction.user.display_name, 40)}")
        await tell(interaction, "Closed." if out else "Voting on that brief is already closed.")

    @app_commands.command(name="produce", description="Close the vote now and produce the winning take")
    @app_commands.describe(brief="Brief number (default: the latest vote in this channel)")
    @app_commands.guild_only()
    async def produce(self, interaction: discord.Interaction, brief: Optional[int] = None) -> None:
        from storage.briefs import get_brief

        row = (await self.bot.db(get_brief, brief) if brief is not None
               else await self.bot.db(latest_voting_brief, interaction.channel_id))
        if row is None or row["status"] != "voting" or row["guild_id"] != interaction.guild_id:
            await tell(interaction, "There is no open vote " + (f"for brief #{brief}." if brief else "in this channel."))
            return
        await self.close_from_interaction(interaction, row["id"])

    async def more_takes(self, interaction: discord.Interaction, brief_id: int) -> None:
        """🔄 More takes button."""
        s = self.bot.settings
        out = await self.bot.db(more_takes, brief_id, interaction.user.id, s.max_takes, s.max_queued_per_user)
        if isinstance(out, str):
            await tell(interaction, out)
            return
        n, job_id = out
        emoji = number_emoji(n) if n <= 10 else f"#{n}"
        await tell(interaction, f"🔄 Writing take {emoji} (job #{job_id}); it will join the vote.", ephemeral=False)


async def setup(bot) -> None:
    await bot.add_cog(Vote(bot))
