"""Challenges each server runs itself: `/challenge schedule|unschedule|start|status|end|next|history|pool`.

The challenge's life (storage only) is studio.challenges; this cog turns Discord commands into calls to
it and its steps into messages. An APScheduler AsyncIOScheduler on the bot's loop is the alarm clock: one
cron job per server schedule and one date job per running challenge (its next step), rebuilt from storage
at every start; each alarm calls :meth:`Challenge.wake`, which runs whatever is due by ``bot.clock`` (a
step missed while the bot was down runs then, once). A poll follows what happens between alarms (a vote
closed early from the ballot, a film that failed or finishes after its deadline).
BENJAMIN_CHALLENGE_CRON + BENJAMIN_CHALLENGE_CHANNEL stay a host-wide default: that channel's server gets
that schedule unless its admins set or remove one.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Literal, Optional

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from discord import app_commands
from discord.ext import commands, tasks

from bot import challenge_text as say
from bot.challenge_post import missing_permissions, post_premiere, render_budget_mb
from bot.challenge_schedule import (cron_trigger, due_slots, get_timezone, local_timezone_name, next_start, parse_when,
                                    schedule_problem, timezone_choices)
from bot.cogs._common import interaction_is_admin, tell
from bot.names import slug
from bot.text import safe
from bot.views.challenge import EndConfirm
from storage import challenges as store
from storage.briefs import get_brief
from storage.settings import get_guild_setting
from studio.challenges import (ChallengeError, LifeConfig, advance, end_challenge, history_facts, next_due,
                               open_challenge, premiere_posted, shipped_pool, status_facts)

log = logging.getLogger(__name__)

LEGACY_SLOT_KEY = "challenge_slot"  # guild setting of the env-only challenges: the last slot set
MAX_HOURS = 168
ADMIN_ONLY = "Only an admin (Manage Server) can {} challenges."
Kind = Literal["title", "line", "prop", "science"]


class Challenge(commands.Cog):
    challenge = app_commands.Group(name="challenge", description="Film challenges this server runs",
                                   guild_only=True)
    pool = app_commands.Group(name="pool", description="The titles, lines, props and science challenges draw from",
                              parent=challenge)

    def __init__(self, bot, config: LifeConfig = LifeConfig()) -> None:
        self.bot = bot
        self.config = config
        self.scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._started: asyncio.Task | None = None

    def now(self) -> float:
        return self.bot.clock()

    # ---- start-up and the alarm clock ------------------------------------------------------------

    async def cog_load(self) -> None:
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self.scheduler.start()  # on the bot's running loop
        self._started = asyncio.create_task(self._start())
        self.poll.change_interval(seconds=self.bot.poll_seconds)
        self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()
        if self._started is not None:
            self._started.cancel()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _start(self) -> None:
        await self.bot.wait_until_ready()
        try:
            await self._sync_env_schedule()
            await self.wake()  # whatever came due while the bot was down, once
        except Exception:
            log.exception("challenges: start-up catch-up failed")

    async def _sync_env_schedule(self) -> None:
        s = self.bot.settings
        if not s.challenge_cron:
            return
        problem = schedule_problem(s)
        if problem:
            log.error("%s; running without the host-wide challenge schedule", problem)
            return
        channel = await self.bot.channel(s.challenge_channel)
        guild = getattr(channel, "guild", None)
        if guild is None:
            log.error("BENJAMIN_CHALLENGE_CHANNEL %s is not a server channel I can see; no host-wide schedule",
                      s.challenge_channel)
            return
        legacy = (await self.bot.db(get_guild_setting, guild.id, LEGACY_SLOT_KEY)) or {}
        await self.bot.db(store.sync_env_schedule, guild.id, channel_id=channel.id, cron=s.challenge_cron,
                          timezone=local_timezone_name(), hours=s.challenge_hours, last_slot_ts=legacy.get("ts"))

    async def wake(self, *, timed: bool = True) -> None:
        """Run everything due by the bot's clock: scheduled starts, then every running challenge's steps."""
        async with self._lock:
            now = self.now()
            if timed:
                for sched, slot in await self.bot.db(due_slots, now):
                    await self._open_scheduled(sched, slot, now)
            for ch in await self.bot.db(store.active_challenges):
                budget = render_budget_mb(self.bot.upload_limit_mb(ch["guild_id"]))
                steps = await self.bot.db(advance, ch["id"], now, timed=timed, max_mb=budget,
                                          film_overrides=self.bot.film_overrides)
                for step in steps:
                    await self._post(step)
            await self._set_alarms()

    @tasks.loop(seconds=2.0)
    async def poll(self) -> None:
        if self._started is None or not self._started.done():
            return
        try:
            await self.wake(timed=False)
        except Exception:
            log.exception("challenges: poll failed")

    async def _alarm(self) -> None:
        try:
            await self.wake()
        except Exception:
            log.exception("challenges: a scheduled step failed")

    async def _set_alarms(self) -> None:
        """One cron job per enabled schedule, one date job per running challenge's next step (from storage)."""
        if self.scheduler is None:
            return
        wanted: dict[str, object] = {}
        for sched in await self.bot.db(store.enabled_schedules):
            try:
                trigger = cron_trigger(sched["cron"], sched["timezone"])
            except ValueError:
                continue
            job_id = f"challenge-schedule-{sched['id']}"
            wanted[job_id] = None
            old = self.scheduler.get_job(job_id)
            if old is None or str(old.trigger) != str(trigger):
                self.scheduler.add_job(self._alarm, trigger, id=job_id, replace_existing=True, coalesce=True,
                                       misfire_grace_time=None, max_instances=1)
        real_now, now = datetime.now(timezone.utc), self.now()
        for ch in await self.bot.db(store.active_challenges):
            due = next_due(ch)
            if due is None:
                continue
            job_id = f"challenge-{ch['id']}"
            wanted[job_id] = None
            when = real_now + timedelta(seconds=max(0.5, due - now))  # the bot's clock may run ahead (tests)
            old = self.scheduler.get_job(job_id)
            if old is None or abs((old.next_run_time - when).total_seconds()) > 1:
                self.scheduler.add_job(self._alarm, DateTrigger(when), id=job_id, replace_existing=True,
                                       misfire_grace_time=None)
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()

    async def _open_scheduled(self, sched: dict, slot: float, now: float) -> None:
        try:
            ch = await self.bot.db(open_challenge, guild_id=sched["guild_id"], channel_id=sched["channel_id"],
                                   now=now, duration_s=sched["hours"] * 3600, bot_id=self.bot.user.id,
                                   schedule=sched, slot_ts=slot, config=self.config)
        except ChallengeError as e:  # e.g. the last one is still running there: skip this start, say why once
            if await self.bot.db(store.claim_slot, sched["id"], slot):
                log.warning("challenges: scheduled start %s in server %s skipped: %s", slot, sched["guild_id"], e)
                await self._send(sched["channel_id"], f"⏭️ The scheduled challenge was skipped: {e}")
            return
        if ch is not None:
            log.info("challenges: challenge %s opened in channel %s (schedule %s)", ch["id"], ch["channel_id"],
                     sched["id"])

    # ---- posting steps ---------------------------------------------------------------------------

    async def _send(self, channel_id: int, text: str, **kwargs) -> discord.Message | None:
        channel = await self.bot.channel(channel_id)
        if channel is None:
            log.warning("challenges: channel %s is gone; not posting", channel_id)
            return None
        try:
            return await channel.send(text, **kwargs)
        except discord.HTTPException as e:
            log.warning("challenges: could not post in channel %s: %s", channel_id, e)
            return None

    async def _post(self, step) -> None:
        ch, brief, data = step.challenge, step.brief, step.data
        if step.kind == "premiere":
            channel = await self.bot.channel(ch["channel_id"])
            if channel is None:
                await self.bot.db(premiere_posted, ch["id"], None)
                return
            name = f"{slug(brief['brief'].get('title'))}-challenge{ch['id']}.mp4"
            limit = int(self.bot.upload_limit_mb(ch["guild_id"]) * 2**20)
            message_id = await post_premiere(self.bot, channel, say.premiere(ch, brief, data), data, name, limit)
            if message_id is not None:
                await self.bot.db(premiere_posted, ch["id"], message_id)
            return
        text = {"opened": lambda: say.opened(ch, brief), "reminder": lambda: say.reminder(ch, brief),
                "closed": lambda: say.closed(ch, brief, data), "no_takes": lambda: say.no_takes(ch, brief, data),
                "failed": lambda: say.failed(ch, brief), "late": lambda: say.late(ch, brief, data)}[step.kind]()
        await self._send(ch["channel_id"], text)
        if step.kind in ("closed", "no_takes") and brief.get("message_id"):  # the ballot's buttons are done
            channel = await self.bot.channel(ch["channel_id"])
            try:
                await channel.get_partial_message(brief["message_id"]).edit(view=None)
            except (AttributeError, discord.HTTPException):
                pass

    # ---- commands: running challenges ------------------------------------------------------------

    async def _target(self, interaction: discord.Interaction, channel) -> tuple[object, str | None]:
        """The channel a command is about (given or this one) and why the bot cannot run a challenge there."""
        target = interaction.guild.get_channel(channel.id) if channel is not None else interaction.channel
        if target is None or not hasattr(target, "send"):
            return None, "I can't see that channel."
        missing = missing_permissions(target, interaction.guild.me)
        if missing:
            return target, (f"I can't run a challenge in <#{target.id}>: I'm missing the "
                            f"**{'**, **'.join(missing)}** permission(s) there.")
        return target, None

    @challenge.command(name="start", description="Start a challenge now, with a drawn brief or your own (admins)")
    @app_commands.describe(title="The film's title (give title, line and prop together, or none to draw them)",
                           line="A line someone must say", prop="A prop that must appear",
                           science="Optional science theme", hours="How long it runs (default 48)",
                           channel="Where (default: here)", cast_names="Name the parts after the cast who play them")
    async def start(self, interaction: discord.Interaction, title: Optional[str] = None, line: Optional[str] = None,
                    prop: Optional[str] = None, science: Optional[str] = None,
                    hours: Optional[app_commands.Range[float, 0.1, float(MAX_HOURS)]] = None,
                    channel: Optional[discord.TextChannel] = None, cast_names: Optional[bool] = None) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("start"))
            return
        given = [x for x in (title, line, prop) if x]
        if given and len(given) < 3:
            await tell(interaction, "Give a title, a line and a prop together, or none of them to draw a brief.")
            return
        target, problem = await self._target(interaction, channel)
        if problem:
            await tell(interaction, problem)
            return
        brief = ({"title": title, "lines": [line], "props": [prop], "science": science} if given else None)
        hours = hours or self.bot.settings.challenge_hours
        try:
            ch = await self.bot.db(open_challenge, guild_id=interaction.guild_id, channel_id=target.id,
                                   now=self.now(), duration_s=hours * 3600, bot_id=self.bot.user.id, brief=brief,
                                   started_by=interaction.user.id, config=self.config, cast_names=bool(cast_names))
        except ChallengeError as e:
            await tell(interaction, str(e)[:1000])
            return
        await tell(interaction, f"🎬 Challenge #{ch['id']} started in <#{target.id}>; the film premieres "
                                f"<t:{int(ch['deadline'])}:R>.")
        await self.wake()

    @challenge.command(name="status", description="Where this channel's (or server's) challenge stands")
    async def status(self, interaction: discord.Interaction) -> None:
        facts = await self.bot.db(status_facts, interaction.guild_id, interaction.channel_id)
        if facts is None:
            await tell(interaction, "No challenge has run in this server yet. An admin can `/challenge start` one "
                                    "or `/challenge schedule` a weekly one.")
            return
        await tell(interaction, say.status(**facts))

    @challenge.command(name="end", description="Stop this channel's challenge early, without a film (admins)")
    async def end(self, interaction: discord.Interaction) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("end"))
            return
        ch = await self.bot.db(store.active_in_channel, interaction.channel_id)
        if ch is None:
            running = await self.bot.db(store.active_in_guild, interaction.guild_id)
            ch = running[0] if len(running) == 1 else None
        if ch is None:
            await tell(interaction, "There is no running challenge here to end.")
            return
        await tell(interaction, f"End challenge #{ch['id']} in <#{ch['channel_id']}> now? There will be no film.",
                   view=EndConfirm(self, ch["id"], interaction.user.id))

    async def end_confirmed(self, interaction: discord.Interaction, challenge_id: int) -> None:
        ch = await self.bot.db(end_challenge, challenge_id, self.now(), interaction.user.id)
        if ch is None:
            await interaction.response.edit_message(content="That challenge is no longer running.", view=None)
            return
        await interaction.response.edit_message(content=f"Challenge #{challenge_id} ended.", view=None)
        brief = await self.bot.db(get_brief, ch["brief_id"])
        await self._send(ch["channel_id"], say.ended(ch, brief, interaction.user.id))
        await self._set_alarms()

    @challenge.command(name="history", description="This server's past challenges, their films and votes")
    async def history(self, interaction: discord.Interaction) -> None:
        rows = await self.bot.db(history_facts, interaction.guild_id)
        if not rows:
            await tell(interaction, "No challenge has finished in this server yet.")
            return
        await tell(interaction, say.history(rows, interaction.guild_id))

    # ---- commands: the schedule ------------------------------------------------------------------

    @challenge.command(name="schedule", description="Run a challenge every week (or on a crontab) here (admins)")
    @app_commands.describe(when='"Friday 18:00" or a crontab such as "0 18 * * FRI"',
                           timezone="Time zone (IANA name, e.g. Europe/London)",
                           hours="How long each challenge runs (default 48)", channel="Where (default: here)",
                           cast_names="Name the parts after the cast who play them")
    async def schedule(self, interaction: discord.Interaction, when: str, timezone: str,
                       hours: Optional[app_commands.Range[float, 1.0, float(MAX_HOURS)]] = None,
                       channel: Optional[discord.TextChannel] = None, cast_names: Optional[bool] = None) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("schedule"))
            return
        try:
            cron = parse_when(when)
            tz = get_timezone(timezone)
        except ValueError as e:
            await tell(interaction, safe(str(e), 500))
            return
        target, problem = await self._target(interaction, channel)
        if problem:
            await tell(interaction, problem)
            return
        hours = hours or self.bot.settings.challenge_hours
        sched = await self.bot.db(store.set_schedule, interaction.guild_id, channel_id=target.id, cron=cron,
                                  timezone=tz.key, hours=hours, created_by=interaction.user.id,
                                  cast_names=bool(cast_names))
        nxt = int(next_start(sched, self.now()))
        named = ", the parts named after the cast who play them" if cast_names else ""
        await tell(interaction, f"📅 Scheduled: `{cron}` in {tz.key}, {hours:g} hours each{named}, "
                                f"in <#{target.id}>. The next starts <t:{nxt}:F> (<t:{nxt}:R>).")
        await self._set_alarms()

    @schedule.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in timezone_choices(current)]

    @challenge.command(name="unschedule", description="Stop this server's scheduled challenges (admins)")
    async def unschedule(self, interaction: discord.Interaction) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("unschedule"))
            return
        stopped = await self.bot.db(store.disable_schedule, interaction.guild_id)
        await tell(interaction, "📅 No more scheduled challenges here; a running one carries on to its premiere."
                   if stopped else "This server has no scheduled challenges.")
        await self._set_alarms()

    @challenge.command(name="next", description="When this server's next scheduled challenge starts")
    async def when_next(self, interaction: discord.Interaction) -> None:
        sched = await self.bot.db(store.get_schedule, interaction.guild_id)
        if sched is None or not sched["enabled"]:
            await tell(interaction, "No challenges are scheduled in this server; an admin can `/challenge schedule`.")
            return
        ts = int(next_start(sched, self.now()))
        named = " Its parts are named after the cast who play them." if sched.get("cast_names") else ""
        await tell(interaction, f"⏰ The next {sched['hours']:g}-hour challenge starts <t:{ts}:F> (<t:{ts}:R>) "
                                f"in <#{sched['channel_id']}> (`{sched['cron']}`, {sched['timezone']}).{named}")

    # ---- commands: the pool ----------------------------------------------------------------------

    @pool.command(name="add", description="Add a title, line, prop or science theme to draw from (admins)")
    async def pool_add(self, interaction: discord.Interaction, kind: Kind,
                       text: app_commands.Range[str, 1, 300]) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("change the pool of"))
            return
        added = await self.bot.db(store.pool_add, interaction.guild_id, kind, text.strip(),
                                  added_by=interaction.user.id, shipped=shipped_pool())
        await tell(interaction, f"Added to this server's {kind}s: “{safe(text, 300)}”." if added
                   else f"“{safe(text, 300)}” is already one of this server's {kind}s.")

    @pool.command(name="remove", description="Remove a title, line, prop or science theme (admins)")
    async def pool_remove(self, interaction: discord.Interaction, kind: Kind, text: str) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, ADMIN_ONLY.format("change the pool of"))
            return
        removed = await self.bot.db(store.pool_remove, interaction.guild_id, kind, text,
                                    shipped=shipped_pool())
        left = len(((await self.bot.db(store.pool_lists, interaction.guild_id)) or {}).get(kind, ()))
        warn = (f" No {kind}s are left: challenges cannot start until one is added." if not left and kind != "science"
                else "")
        await tell(interaction, (f"Removed “{safe(text, 300)}” from this server's {kind}s.{warn}" if removed
                                 else f"“{safe(text, 300)}” is not one of this server's {kind}s."))

    @pool_remove.autocomplete("text")
    async def _pool_texts(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        kind = getattr(interaction.namespace, "kind", None) or "title"
        lists = (await self.bot.db(store.pool_lists, interaction.guild_id)) or shipped_pool()
        found = [t for t in lists.get(kind, ()) if current.lower() in t.lower()][:25]
        return [app_commands.Choice(name=t[:100], value=t[:100]) for t in found]

    @pool.command(name="list", description="What this server's challenges draw from")
    async def pool_list(self, interaction: discord.Interaction, kind: Kind) -> None:
        own = await self.bot.db(store.pool_lists, interaction.guild_id)
        items = (own or shipped_pool()).get(kind, [])
        source = "this server's own" if own is not None else "the shipped"
        text = f"**{len(items)} {kind}(s)** in {source} pool:\n"
        for i, item in enumerate(items, 1):
            line = f"{i}. {safe(item, 200)}\n"
            if len(text) + len(line) > 1900:
                text += f"… and {len(items) - i + 1} more"
                break
            text += line
        await tell(interaction, text if items else f"This server's pool has no {kind}s.")


async def setup(bot) -> None:
    await bot.add_cog(Challenge(bot))
