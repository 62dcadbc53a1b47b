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
from bot.text import emoji_number, number_emoji, safe, tally_text
from storage.briefs import briefs_voting_due, get_brief
from studio.requests import render_budget_mb
from studio.voting import (close_vote, latest_voting_brief, more_takes, reconcile_votes, record_reaction,
                           voting_takes)

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


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
        outcome = await self.bot.db(record_reaction, payload.message_id, payload.user_id,
                                     emoji_number(str(payload.emoji)), added)
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

        try:
            due = await self.bot.db(briefs_voting_due, time.time())
        except Exception:
            log.exception("votes: cannot read deadlines")
            return
        for brief in due:
            if (brief["brief"].get("extra") or {}).get("challenge"):
                continue  # a challenge closes its own vote, on its own clock (studio.challenges)
            try:
                await self.close(brief["id"], reason="time is up")
            except Exception:  # the vote is closed in storage first; only the announcement can be lost
                log.exception("votes: closing brief %s", brief["id"])

    @deadlines.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def close(self, brief_id: int, reason: str) -> dict | None:
        """Close the vote (once), announce the winner in the brief's channel; None if it was not open."""

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
