"""Briefs in: ``/film`` and the free-text mention form. Both start a brief (studio.briefs.start_brief)."""
from __future__ import annotations

import logging
from typing import Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.brief_parse import HOW_TO, describe_missing, parse_brief
from bot.cogs._common import in_time, tell
from bot.text import brief_summary, safe
from engine.brief import Brief
from engine.errors import BriefError
from storage.cast import list_members
from studio.briefs import DEFAULT_TAKES, start_brief

log = logging.getLogger(__name__)

class Film(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot

    def _validate(self, brief: dict, takes: int | None) -> tuple[dict, int]:
        """A clean brief dict and a take count within 1..BENJAMIN_MAX_TAKES (BriefError otherwise)."""
        clean = Brief.from_dict(brief).validated().to_dict()
        n = DEFAULT_TAKES if takes is None else int(takes)
        cap = max(1, self.bot.settings.max_takes)
        if not 1 <= n <= cap:
            raise BriefError(f"takes must be between 1 and {cap}")
        return clean, n

    async def _start(self, brief: dict, takes: int, *, guild_id: int, channel_id: int, user_id: int,
                     source: str) -> tuple[int, int] | str:
        return await self.bot.db(start_brief, brief, takes=takes, guild_id=guild_id, channel_id=channel_id,
                                 requester_id=user_id, source=source, cap=self.bot.settings.max_queued_per_user)

    @app_commands.command(name="film", description="Write takes of a short film from a brief; then vote on them")
    @app_commands.describe(title="The film's title", line="A line of dialogue someone must say",
                           prop="A prop that must appear", science="Optional science theme",
                           takes=f"How many takes to write (default {DEFAULT_TAKES})",
                           pages="Length in pages, about a minute each (default 1)",
                           cast_names="Name the characters after the cast members who play them (default no)")
    @app_commands.guild_only()
    async def film(self, interaction: discord.Interaction, title: str, line: str, prop: str,
                   science: Optional[str] = None, takes: Optional[app_commands.Range[int, 1, 10]] = None,
                   pages: Optional[app_commands.Range[float, 0.5, 5.0]] = None,
                   cast_names: Optional[bool] = None) -> None:
        raw = {"title": title, "lines": [line], "props": [prop], "science": science, "pages": pages or 1.0}
        try:
            brief, n = self._validate(raw, takes)
        except BriefError as e:
            await tell(interaction, f"I can't use that brief: {safe(e)}")
            return
        if cast_names:  # opt in: the writer names the parts after the server's cast, who then play them
            brief["extra"] = {"cast_names": True}
        started = await in_time(interaction, self._start(brief, n, guild_id=interaction.guild_id,
                                                         channel_id=interaction.channel_id,
                                                         user_id=interaction.user.id, source="slash"))
        if isinstance(started, str):
            await tell(interaction, started)
            return
        brief_id, job_id = started
        note = ""
        if cast_names and not await self.bot.db(list_members, interaction.guild_id):
            note = "\nNobody is in the cast yet (`/cast add`), so the parts keep the writer's own names."
        await tell(interaction, f"🎬 Brief #{brief_id}\n{brief_summary(brief, n)}\nWriting {n} take(s): "
                                f"job #{job_id}. I'll post them here to vote on.{note}", ephemeral=False)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.guild is None:
            return
        if f"<@{me.id}>" not in message.content and f"<@!{me.id}>" not in message.content:
            return  # a reply to the bot or @everyone is not a request
        parsed = parse_brief(message.content)
        if parsed.empty:
            await message.reply(f"Hello! I write short films. {HOW_TO}", mention_author=False)
            return
        understood = brief_summary(parsed.brief(), parsed.takes)
        if parsed.missing:
            await message.reply(f"Here's what I understood:\n{understood}\n{describe_missing(parsed.missing)} "
                                f"{HOW_TO}", mention_author=False)
            return
        try:
            brief, n = self._validate(parsed.brief(), parsed.takes)
        except BriefError as e:
            await message.reply(f"Here's what I understood:\n{understood}\nbut I can't use it: {safe(e)}",
                                mention_author=False)
            return
        started = await self._start(brief, n, guild_id=message.guild.id, channel_id=message.channel.id,
                                    user_id=message.author.id, source="mention")
        if isinstance(started, str):
            await message.reply(started, mention_author=False)
            return
        brief_id, job_id = started
        await message.reply(f"🎬 Brief #{brief_id}. Here's what I understood:\n{brief_summary(brief, n)}\n"
                            f"Writing {n} take(s): job #{job_id}.", mention_author=False)


async def setup(bot) -> None:
    await bot.add_cog(Film(bot))
