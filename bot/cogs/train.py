"""Training the writer from Discord (admins): ``/train start|status|revert``.

``/train start`` saves the attached corpus files (.fountain, .txt; or uses the default corpus) and
queues a "train" job; its progress message shows step, loss, bits per char and ETA like any job. When it
is done the worker switches the guild's writer to the new checkpoint; ``/train revert`` goes back to
the shipped model.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Literal, Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._common import interaction_is_admin, tell
from bot.names import slug
from bot.text import safe
from studio.briefs import WRITER_KEY
from studio.requests import queue_train, train_status

log = logging.getLogger(__name__)

CORPUS_EXTS = (".fountain", ".txt")
MAX_CORPUS_BYTES = 20 * 2**20  # per file
MIN_MINUTES, MAX_MINUTES = 1.0, 24 * 60.0  # /train start minutes: a time budget from one minute to a day


def check_minutes(minutes: float | None) -> str | None:
    """Why ``minutes`` cannot be a training budget, or None when it is fine (pure)."""
    if minutes is None or MIN_MINUTES <= minutes <= MAX_MINUTES:
        return None
    return (f"minutes must be between {MIN_MINUTES:g} and {MAX_MINUTES:g} (a day), not {minutes:g}: "
            "the writer trains for that long, evaluations included")


def default_preset(minutes: float | None) -> str:
    """As ``bot.py train``: base (learns the most in a short CPU budget) for 15 minutes or less, else small."""
    return "base" if minutes is not None and minutes <= 15 else "small"


def check_corpus_file(name: str, size: int) -> str | None:
    """Why an attachment cannot be a corpus file, or None when it is acceptable (pure)."""
    if Path(name).suffix.lower() not in CORPUS_EXTS:
        return f"{safe(name, 80)}: only {' and '.join(CORPUS_EXTS)} files can be used to train"
    if size <= 0:
        return f"{safe(name, 80)}: the file is empty"
    if size > MAX_CORPUS_BYTES:
        return f"{safe(name, 80)}: {size / 2**20:.1f} MB is over the {MAX_CORPUS_BYTES // 2**20} MB limit"
    return None


def _check_text(path: Path) -> str | None:
    """Readable UTF-8 text with something in it, else the reason (runs in a thread)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return f"{safe(path.name, 80)}: not UTF-8 text"
    if len(text.strip()) < 200:
        return f"{safe(path.name, 80)}: too little text to learn from (under 200 characters)"
    return None


class Train(commands.Cog):
    train = app_commands.Group(name="train", description="Train this server's writer (admins)", guild_only=True,
                               default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot) -> None:
        self.bot = bot

    async def _admin(self, interaction: discord.Interaction) -> bool:
        if interaction_is_admin(interaction):
            return True
        await tell(interaction, "Only admins (Manage Server) can train or switch the writer.")
        return False

    @train.command(name="start", description="Train or fine-tune the writer on attached .fountain/.txt files")
    @app_commands.describe(corpus="A .fountain or .txt screenplay (none: the default corpus)",
                           corpus2="Another corpus file", corpus3="Another corpus file",
                           preset="Model size (default: base for 15 minutes or less, else small)",
                           steps="Optimiser steps (default: the preset's; with minutes, a ceiling)",
                           minutes=f"Train for this long, {MIN_MINUTES:g} to {MAX_MINUTES:g} (default: by steps)")
    async def start(self, interaction: discord.Interaction, corpus: Optional[discord.Attachment] = None,
                    corpus2: Optional[discord.Attachment] = None, corpus3: Optional[discord.Attachment] = None,
                    preset: Optional[Literal["tiny", "base", "small", "large"]] = None,
                    steps: Optional[app_commands.Range[int, 1, 1_000_000]] = None,
                    minutes: Optional[float] = None) -> None:
        if not await self._admin(interaction):
            return
        problem = check_minutes(minutes)
        if problem:
            await tell(interaction, f"I can't train for that long: {problem}.")
            return
        preset = preset or default_preset(minutes)
        files = [a for a in (corpus, corpus2, corpus3) if a is not None]
        problems = [p for a in files if (p := check_corpus_file(a.filename, a.size))]
        if problems:
            await tell(interaction, "I can't train on that:\n" + "\n".join(problems))
            return
        await interaction.response.defer(thinking=True)
        paths, problems = await self._save(interaction, files)
        if problems:
            await tell(interaction, "I can't train on that:\n" + "\n".join(problems), ephemeral=False)
            return
        if not paths:
            from engine.screenplay.corpus import default_corpus

            try:
                paths = [str(p) for p in await asyncio.to_thread(default_corpus)]
            except Exception as e:  # CorpusError: say why
                await tell(interaction, f"No corpus attached and the default one is unavailable: {safe(e)}",
                           ephemeral=False)
                return
        out = await self.bot.db(queue_train, paths, preset, steps, guild_id=interaction.guild_id,
                                channel_id=interaction.channel_id, user_id=interaction.user.id,
                                cap=self.bot.settings.max_queued_per_user, minutes=minutes)
        if isinstance(out, str):
            await tell(interaction, out, ephemeral=False)
            return
        what = f"{len(files)} attached file(s)" if files else "the default corpus"
        budget = f" for {minutes:g} minute(s)" if minutes is not None else ""
        await tell(interaction, f"🧠 Training a {preset} writer on {what}{budget}: job #{out}. "
                                "Progress below; this server's writer switches to it when it is done.",
                   ephemeral=False)

    async def _save(self, interaction: discord.Interaction, files: list[discord.Attachment]):
        folder = Path(self.bot.settings.home) / "corpus" / str(interaction.guild_id) / str(interaction.id)
        paths, problems = [], []
        for i, a in enumerate(files):
            dest = folder / f"{i}-{slug(Path(a.filename).stem)}{Path(a.filename).suffix.lower()}"
            await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
            try:
                await a.save(dest)
            except discord.HTTPException as e:
                problems.append(f"{safe(a.filename, 80)}: download failed ({e.status})")
                continue
            reason = await asyncio.to_thread(_check_text, dest)
            if reason:
                problems.append(reason)
            else:
                paths.append(str(dest))
        return paths, problems

    @train.command(name="status", description="Which writer this server uses, and the last training job")
    async def status(self, interaction: discord.Interaction) -> None:
        info = await self.bot.db(train_status, interaction.guild_id)
        writer = info["writer"]
        text = ("Writer: the shipped model." if not writer or writer == "shipped"
                else f"Writer: trained checkpoint `{safe(Path(writer).name, 80)}`.")
        last = info["last"]
        if last:
            text += f"\nLast training job: #{last['id']} ({last['status']})"
            if last.get("error"):
                text += f": {safe(last['error'], 200)}"
        await tell(interaction, text)

    @train.command(name="revert", description="Go back to the shipped writer model")
    async def revert(self, interaction: discord.Interaction) -> None:
        from storage.settings import set_guild_setting

        if not await self._admin(interaction):
            return
        await self.bot.db(set_guild_setting, interaction.guild_id, WRITER_KEY, None)  # None = shipped
        await tell(interaction, "This server's writer is back to the shipped model.", ephemeral=False)


async def setup(bot) -> None:
    await bot.add_cog(Train(bot))
