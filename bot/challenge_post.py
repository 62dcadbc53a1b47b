"""Discord helpers for challenges: what the bot may do in a channel, and posting a premiere exactly once."""
from __future__ import annotations

import logging
from pathlib import Path

import discord

from bot.text import format_mb
from bot.views import smaller_view

log = logging.getLogger(__name__)

# What a challenge needs in its channel, and the names Discord's settings show for them.
NEEDED = (("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("attach_files", "Attach Files"),
          ("add_reactions", "Add Reactions"), ("read_message_history", "Read Message History"))


def render_budget_mb(limit_mb: float) -> float:
    """As delivery's: the renderer's share of a server's upload limit (room left for poster and script)."""
    return max(1.0, round(limit_mb - 0.5 - 0.05 * limit_mb, 2))


def missing_permissions(channel, me) -> list[str]:
    """The permissions (as Discord names them) the bot lacks in ``channel``; [] when it has them all."""
    perms = channel.permissions_for(me)
    return [label for attr, label in NEEDED if not getattr(perms, attr)]


async def find_posted(bot, channel, filename: str) -> int | None:
    """A message of the bot's in the channel's recent history with this attachment (a premiere after a restart)."""
    try:
        async for m in channel.history(limit=50):
            if m.author.id == bot.user.id and any(a.filename == filename for a in m.attachments):
                return m.id
    except discord.HTTPException as e:
        log.warning("cannot read channel history: %s", e)
    return None


async def post_premiere(bot, channel, text: str, data: dict, filename: str, limit: int) -> int | None:
    """Post the film (mp4, then poster and script while they fit the upload limit); its message id, or None when
    Discord refused it for now (tried again later). A premiere claimed before a restart is looked for first."""
    if data.get("resumed"):
        found = await find_posted(bot, channel, filename)
        if found:
            return found
    film, job = data.get("film") or {}, data.get("job") or {}
    path = Path(film.get("path") or (data.get("result") or {}).get("film") or "")
    size = path.stat().st_size if path.is_file() else 0
    try:
        if not path.is_file() or size > limit:
            why = ("the film file is missing on the bot's machine" if not path.is_file() else
                   f"the film is {format_mb(size)}, over this server's upload limit of {format_mb(limit)}")
            msg = await channel.send(f"{text}\n⚠️ I can't upload it: {why}. It is kept as job #{job.get('id')}; "
                                     "the button makes a smaller render.", view=smaller_view(job.get("id")))
            return msg.id
        files = [discord.File(path, filename=filename)]
        stem = filename.rsplit(".", 1)[0]
        take = data.get("take") or {}
        for extra, name in ((film.get("poster"), f"{stem}-poster"), (take.get("fountain_path"), f"{stem}-script")):
            if extra and Path(extra).is_file() and size + Path(extra).stat().st_size < limit:
                size += Path(extra).stat().st_size
                files.append(discord.File(extra, filename=name + Path(extra).suffix))
        msg = await channel.send(text, files=files)
        return msg.id
    except discord.HTTPException as e:
        log.warning("challenge premiere in channel %s failed (%s); trying again shortly", channel.id, e)
        return None
