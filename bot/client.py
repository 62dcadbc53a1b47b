"""The Discord client: a ``commands.Bot`` subclass that wires cogs, views and storage together.

It holds no feature logic. Storage is reached only through :meth:`BenjaminBot.db`, which runs a
(quick) storage call on one dedicated thread that owns its own SQLite connection, so the event
loop never blocks on SQLite and the connection is never shared between threads. Engine work
(torch, moviepy, ffmpeg) never happens here: it runs in the worker, fed through the job queue.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

import discord
from discord.ext import commands

from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.cogs.film",
    "bot.cogs.progress",
    "bot.cogs.delivery",
    "bot.cogs.vote",
    "bot.cogs.queue",
    "bot.cogs.cast",
    "bot.cogs.train",
    "bot.cogs.challenge",
    "bot.cogs.footage",
)


def intents() -> discord.Intents:
    """Only what Benjamin uses: guilds, guild messages (+ content for the mention form), reactions."""
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.message_content = True
    i.guild_reactions = True
    return i


def point_at_api(base: str | None) -> None:
    """Send discord.py's REST calls (webhooks/interactions included) to ``base`` (tests' Discord double)."""
    if not base:
        return
    from discord.http import Route

    Route.BASE = base.rstrip("/")


class BenjaminBot(commands.Bot):
    """Benjamin on Discord. ``db_opener()`` returns a fresh storage connection (called once, on the db thread)."""

    def __init__(self, settings: Settings, db_opener: Callable[[], Any], *,
                 extensions: Sequence[str] = EXTENSIONS, sync_commands: bool = True, poll_seconds: float = 2.0,
                 film_overrides: dict | None = None, clock: Callable[[], float] | None = None,
                 **options: Any) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())  # user text never pings
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)
        self.settings = settings
        self._db_opener = db_opener
        self._db_local = threading.local()
        self._db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="benjamin-db")
        self._extensions = tuple(extensions)
        self._sync_commands = sync_commands
        self.poll_seconds = poll_seconds  # how often the cogs' loops look at storage
        self.film_overrides = dict(film_overrides or {})  # extra "film" job settings, e.g. {"size": [320, 180]}
        self.clock = clock or time.time  # what "now" is for challenges (tests pass a fake clock)

    # ---- storage -------------------------------------------------------------------------------

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(db, *args, **kwargs)`` on the storage thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_executor, functools.partial(self._run_db, fn, args, kwargs))

    def _run_db(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        db = getattr(self._db_local, "db", None)
        if db is None:
            db = self._db_local.db = self._db_opener()
        return fn(db, *args, **kwargs)

    # ---- lifecycle -----------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        from bot.views import DYNAMIC_ITEMS

        if self.settings.discord_api:  # another API (the tests' double): ask it where its gateway is
            await self._use_api_gateway()

        for ext in self._extensions:
            await self.load_extension(ext)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # buttons keep working after a restart
        self.tree.error(self._command_failed)
        if self._sync_commands:
            synced = await self.tree.sync()
            log.info("synced %d application commands", len(synced))

    async def _use_api_gateway(self) -> None:
        import yarl
        from discord.gateway import DiscordWebSocket

        _shards, url, _limits = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def _command_failed(self, interaction: discord.Interaction, error: Exception) -> None:
        """A slash command raised: log it and tell the person, briefly (no traceback), instead of silence."""
        from bot.cogs._common import tell

        log.error("command %r failed", getattr(interaction.command, "name", None), exc_info=error)
        try:
            await tell(interaction, "Something went wrong with that command; the bot's log has the details.")
        except discord.HTTPException as e:  # e.g. the interaction expired meanwhile
            log.warning("could not tell the user about the failure: %s", e)

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d guild(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the mention form is handled by the film cog's listener."""

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._db_executor.shutdown(wait=False, cancel_futures=True)

    # ---- helpers used by cogs ------------------------------------------------------------------

    def upload_limit_mb(self, guild_id: int | None) -> float:
        """The guild's upload limit in MiB (``Guild.filesize_limit``), else the BENJAMIN_MAX_MB fallback."""
        guild = self.get_guild(int(guild_id)) if guild_id else None
        if guild is None:
            return float(self.settings.max_mb)
        return guild.filesize_limit / 2**20

    async def channel(self, channel_id: int | None) -> discord.abc.Messageable | None:
        """A channel by id from the cache, else fetched; None if gone or not allowed."""
        if not channel_id:
            return None
        ch = self.get_channel(int(channel_id))
        if ch is not None:
            return ch
        try:
            return await self.fetch_channel(int(channel_id))
        except (discord.NotFound, discord.Forbidden):
            return None
        except discord.HTTPException as e:
            log.warning("cannot fetch channel %s: %s", channel_id, e)
            return None


def is_admin(user: discord.abc.User | discord.Member | None, permissions: discord.Permissions | None = None) -> bool:
    """Admins: Manage Server or Administrator in this guild."""
    perms = permissions or getattr(user, "guild_permissions", None)
    return bool(perms and (perms.administrator or perms.manage_guild))
