"""The server's footage library, which its films are cut from. ``/footage list`` (anyone) and
``/footage add clip [credit] [licence]`` (admins): the clip is probed, cut into shots and its faces found
in a thread (bot.library), so the bot stays responsive; bad files get the reason. Without a library of
its own, a server's films use the shipped footage."""
from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._common import interaction_is_admin, tell
from bot.library import VIDEO_EXTS, add_clips
from bot.text import safe
from engine.errors import FootageError
from engine.footage import MAX_CLIP_BYTES
from storage.footage import list_actors, list_clips

log = logging.getLogger(__name__)
DISCORD_MAX_BYTES = min(MAX_CLIP_BYTES, 500 * 2**20)  # what Discord can attach, at most what ingest takes


def check_clip(name: str, size: int) -> str | None:
    """Why an attachment cannot be a footage clip, before downloading it, or None (pure)."""
    if Path(name).suffix.lower() not in VIDEO_EXTS:
        return f"{safe(name, 80)} is not a video ({', '.join(VIDEO_EXTS)})"
    if size > DISCORD_MAX_BYTES:
        return f"{safe(name, 80)} is {size / 2**20:.0f} MB; clips may be at most {DISCORD_MAX_BYTES // 2**20} MB"
    return None


def describe(clips: list[dict], actors: list[dict]) -> str:
    """The library as a short message (pure)."""
    if not clips:
        return "This server has no footage yet; its films use the shipped footage (*Tears of Steel*, CC BY 3.0)."
    names = {a["id"]: a["name"] for a in actors}
    rows = []
    for c in clips[:15]:
        people = sorted({names[a] for s in c["shots"] for a in s["actors"] if a in names})
        credit = ", ".join(x for x in (c["credit"], c["licence"]) if x) or "no credit given"
        state = "" if c["status"] == "done" else " (unfinished: add it again)"
        rows.append(f"**#{c['id']} {safe(c['name'], 60)}**: {c['duration']:.1f} s, {len(c['shots'])} shot(s), "
                    f"{len(people)} actor(s){state}. {safe(credit, 120)}")
    more = f"\n…and {len(clips) - 15} more" if len(clips) > 15 else ""
    return "\n".join(rows) + more


class Footage(commands.Cog):
    footage = app_commands.Group(name="footage", description="The footage this server's films are cut from",
                                 guild_only=True)

    def __init__(self, bot) -> None:
        self.bot = bot

    @footage.command(name="list", description="The clips in this server's footage library")
    async def list_footage(self, interaction: discord.Interaction) -> None:
        clips = await self.bot.db(list_clips, interaction.guild_id)
        actors = await self.bot.db(list_actors, interaction.guild_id)
        await tell(interaction, describe(clips, actors))

    @footage.command(name="add", description="Add a video clip to the footage library (admins)")
    @app_commands.describe(clip="a video clip", credit="who made it, as the credits should print it",
                           licence="its licence, e.g. CC BY 3.0 or public domain")
    async def add(self, interaction: discord.Interaction, clip: discord.Attachment, credit: Optional[str] = None,
                  licence: Optional[str] = None) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, "Only admins can add footage.")
            return
        reason = check_clip(clip.filename, clip.size)
        if reason:
            await tell(interaction, f"Not added: {reason}.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        with tempfile.TemporaryDirectory() as tmp:  # ingest keeps its own copy; the download goes
            path = Path(tmp) / f"upload{Path(clip.filename).suffix.lower()}"
            try:
                await clip.save(path)
            except discord.HTTPException as e:
                await tell(interaction, f"Not added: the download failed ({e.status}).")
                return
            try:
                report = await asyncio.to_thread(self._ingest, interaction.guild_id, path, Path(clip.filename).stem,
                                                 (credit or "").strip()[:200], (licence or "").strip()[:80])
            except FootageError as e:
                await tell(interaction, f"Not added: {safe(e)}")
                return
        lines = [safe(x.replace(path.name, clip.filename), 300) for x in report.lines()]
        await tell(interaction, "\n".join(lines) or "Nothing was added.")

    def _ingest(self, guild_id: int, path: Path, name: str, credit: str, licence: str):
        """Runs in a thread, with its own database connection (a connection stays on its thread)."""
        from storage.db import open_db

        db = open_db(self.bot.settings.db_path)
        try:
            return add_clips(db, self.bot.settings, [path], guild_id=guild_id, credit=credit, licence=licence,
                             names={path: name})
        finally:
            db.close()


async def setup(bot) -> None:
    await bot.add_cog(Footage(bot))
