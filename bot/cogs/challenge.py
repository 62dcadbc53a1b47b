"""Scheduled 48-hour challenges: Benjamin sets a brief on its own, on a crontab schedule.

BENJAMIN_CHALLENGE_CRON (e.g. ``0 18 * * FRI``) drives an APScheduler AsyncIOScheduler on the bot's
loop. Each firing announces a random brief (engine.challenge) in BENJAMIN_CHALLENGE_CHANNEL and starts
it through the same path as /film (film.start_brief), so takes are posted, voted on and produced the
same way; the vote stays open BENJAMIN_CHALLENGE_HOURS instead of BENJAMIN_VOTE_SECONDS, and with no
requester a tie goes to the lowest take number. Each scheduled time is claimed once in storage (a
guild setting), so a restart or a double firing never sets the same challenge twice; a firing missed
while the bot was down is caught up if it is less than GRACE_S old. ``/challenge now`` (admins) and
``/challenge next``.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._common import interaction_is_admin, tell
from bot.cogs.film import DEFAULT_TAKES
from bot.text import safe

log = logging.getLogger(__name__)

JOB_ID = "benjamin-challenge"
GRACE_S = 3600  # a firing up to an hour late (bot down, loop busy) still runs; older ones are skipped
SLOT_KEY = "challenge_slot"  # guild setting: {"ts": scheduled time (epoch s), "brief_id": ...}
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# ---- the schedule (pure) ---------------------------------------------------------------------------

def cron_trigger(expr: str | None, tz=None):
    """A CronTrigger for a standard crontab expression; ValueError saying what is wrong.

    Day-of-week numbers mean what they mean in crontab (0 and 7 are Sunday), not APScheduler 3's
    Monday-based numbers, so ``0 18 * * 5`` is Friday like ``0 18 * * FRI``.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = (expr or "").split()
    if len(fields) != 5:
        raise ValueError(f"{expr!r} is not a crontab expression: it needs 5 fields "
                         "(minute hour day-of-month month day-of-week), e.g. \"0 18 * * FRI\"")
    try:
        fields[4] = _day_of_week(fields[4].lower())
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as e:
        raise ValueError(f"{expr!r} is not a valid crontab expression: {e}") from None


def _day_of_week(field: str) -> str:
    """crontab's day-of-week field as APScheduler day names (``1-5`` → ``mon,tue,wed,thu,fri``)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = _number(step_s, "step") if step_s else 1
        if step < 1:
            raise ValueError(f"day-of-week step must be at least 1, not {step}")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day(a), _day(b)
            if hi == 0 and lo > 0:  # "5-0" or "mon-sun": up to Sunday
                hi = 7
        else:
            lo = hi = _day(rng)
        if lo > hi:
            raise ValueError(f"day-of-week range {rng!r} runs backwards")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(text: str) -> int:
    """A crontab day: 0-7 (0 and 7 are Sunday) or a three-letter name."""
    if text in _DAYS:
        return _DAYS.index(text)
    n = _number(text, "day of week")
    if not 0 <= n <= 7:
        raise ValueError(f"day of week must be 0-7 or a name like FRI, not {text!r}")
    return n


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number or a day name") from None


def schedule_problem(settings) -> str | None:
    """Why the configured challenge schedule cannot run (one line), or None when it can or is off."""
    if not settings.challenge_cron:
        return None
    try:
        cron_trigger(settings.challenge_cron)
    except ValueError as e:
        return f"BENJAMIN_CHALLENGE_CRON: {e}"
    if not settings.challenge_channel:
        return "BENJAMIN_CHALLENGE_CRON is set but BENJAMIN_CHALLENGE_CHANNEL (the channel id to post in) is not"
    return None


def latest_slot(trigger, now: datetime, window_s: float = GRACE_S) -> datetime | None:
    """The latest scheduled time in (now - window_s, now], or None: the slot a firing at ``now`` is for."""
    t = trigger.get_next_fire_time(None, now - timedelta(seconds=window_s))
    last = None
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
    return last


def announcement(brief: dict, hours: int, *, scheduled: bool) -> str:
    """The challenge post: title, required line, props, science and how it runs."""
    props = ", ".join(safe(p, 80) for p in brief.get("props") or ())
    lines = [f"🎬 **{'Scheduled ' if scheduled else ''}{hours}-hour challenge!** Benjamin's brief:",
             f"**Title:** {safe(brief.get('title'), 120)}",
             f"**Required line:** “{safe((brief.get('lines') or [''])[0], 300)}”",
             f"**Props:** {props}"]
    if brief.get("science"):
        lines.append(f"**Science:** {safe(brief['science'], 200)}")
    lines.append(f"{hours} hours: vote on the takes; the winning film is posted here.")
    return "\n".join(lines)


# ---- storage (runs on the bot's storage thread) ----------------------------------------------------

def claim_slot(db, guild_id: int, ts: float) -> bool:
    """Record that the challenge scheduled for ``ts`` is being set; False when it (or a later one) already was."""
    from storage.db import immediate
    from storage.settings import get_guild_setting, set_guild_setting

    with immediate(db):
        done = get_guild_setting(db, guild_id, SLOT_KEY) or {}
        if float(done.get("ts") or 0) >= ts:
            return False
        set_guild_setting(db, guild_id, SLOT_KEY, {"ts": ts, "brief_id": None})
    return True


def start_challenge(db, brief: dict, *, guild_id: int, channel_id: int, bot_id: int, takes: int,
                    vote_seconds: int, slot_ts: float | None) -> tuple[int, int]:
    """Start the brief exactly like /film does (film.start_brief), with the bot as requester."""
    from bot.cogs.film import start_brief  # the /film path, not a second one
    from storage.db import immediate
    from storage.settings import set_guild_setting

    with immediate(db):
        started = start_brief(db, brief, takes=takes, guild_id=guild_id, channel_id=channel_id,
                              requester_id=bot_id, source="schedule", cap=0, vote_seconds=vote_seconds)
        if slot_ts is not None:
            set_guild_setting(db, guild_id, SLOT_KEY, {"ts": slot_ts, "brief_id": started[0]})
    return started


# ---- the cog -----------------------------------------------------------------------------------------

class Challenge(commands.Cog):
    challenge = app_commands.Group(name="challenge", description="Benjamin's scheduled 48-hour challenges",
                                   guild_only=True)

    def __init__(self, bot) -> None:
        self.bot = bot
        self.trigger = None
        self.scheduler = None
        self.problem: str | None = None  # why there is no schedule, for /challenge next
        self._lock = asyncio.Lock()

    async def cog_load(self) -> None:
        s = self.bot.settings
        if not s.challenge_cron:
            self.problem = "No challenges are scheduled on this bot (BENJAMIN_CHALLENGE_CRON is not set)."
            return
        problem = schedule_problem(s)
        if problem:
            self.problem = "Scheduled challenges are off: the bot's schedule settings are not valid."
            log.error("%s; running without scheduled challenges", problem)
            return
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.trigger = cron_trigger(s.challenge_cron)
        self.scheduler = AsyncIOScheduler()
        self.scheduler.start()  # on the bot's running loop
        missed = latest_slot(self.trigger, datetime.now(timezone.utc))
        extra = {"next_run_time": missed} if missed else {}  # caught up if unclaimed (see fire)
        self.scheduler.add_job(self.scheduled, self.trigger, id=JOB_ID, misfire_grace_time=GRACE_S,
                               coalesce=True, max_instances=1, **extra)
        log.info("scheduled challenges: %r in channel %s; next at %s", s.challenge_cron, s.challenge_channel,
                 self.next_time())

    async def cog_unload(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    def next_time(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID) if self.scheduler is not None else None
        if job is not None and job.next_run_time is not None:
            return job.next_run_time
        if self.trigger is None:
            return None
        return self.trigger.get_next_fire_time(None, datetime.now(timezone.utc))

    async def scheduled(self) -> None:
        """The scheduler's job: set the challenge for the slot that is due now."""
        slot = latest_slot(self.trigger, datetime.now(timezone.utc)) if self.trigger else None
        if slot is None:
            log.warning("challenge: fired with no scheduled time in the last hour; skipped")
            return
        await self.bot.wait_until_ready()
        try:
            await self.fire(slot.timestamp())
        except Exception:
            log.exception("challenge: the scheduled challenge for %s failed", slot)

    async def fire(self, slot_ts: float | None = None, *, channel_id: int | None = None,
                   seed: int | None = None) -> tuple[int, int] | None:
        """Announce and start one challenge; ``slot_ts`` (a scheduled time) is set at most once.

        Returns (brief id, write job id), or None when the slot was already set or there is nowhere to post.
        """
        from engine.challenge import random_brief

        s = self.bot.settings
        channel = await self.bot.channel(channel_id or s.challenge_channel)
        guild = getattr(channel, "guild", None)
        if channel is None or guild is None:
            log.error("challenge: channel %s is not a server channel I can see; no challenge set",
                      channel_id or s.challenge_channel)
            return None
        async with self._lock:
            if slot_ts is not None and not await self.bot.db(claim_slot, guild.id, slot_ts):
                log.info("challenge: the one scheduled for %s was already set; skipped", slot_ts)
                return None
            brief = await asyncio.to_thread(random_brief, seed)
            extra = {"seed": brief.extra["seed"], **({"slot": slot_ts} if slot_ts is not None else {})}
            data = {**brief.to_dict(), "extra": extra}
            hours = s.challenge_hours
            try:
                post = await channel.send(announcement(data, hours, scheduled=slot_ts is not None))
            except discord.HTTPException as e:  # the challenge still runs; its takes say what it is
                log.warning("challenge: could not post the announcement: %s", e)
                post = None
            takes = max(1, min(DEFAULT_TAKES, s.max_takes))  # as many as /film writes by default
            started = await self.bot.db(start_challenge, data, guild_id=guild.id, channel_id=channel.id,
                                        bot_id=self.bot.user.id, takes=takes, vote_seconds=hours * 3600,
                                        slot_ts=slot_ts)
        brief_id, job_id = started
        log.info("challenge: brief %s (job %s) set in channel %s", brief_id, job_id, channel.id)
        if post is not None:
            try:
                await post.edit(content=f"{post.content}\nBrief #{brief_id}: writing {takes} take(s) "
                                        f"(job #{job_id}); they will appear below.")
            except discord.HTTPException:
                pass
        return started

    @challenge.command(name="now", description="Start a 48-hour challenge right now (admins)")
    async def start_now(self, interaction: discord.Interaction) -> None:
        if not interaction_is_admin(interaction):
            await tell(interaction, "Only an admin (Manage Server) can start a challenge.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        configured = await self.bot.channel(self.bot.settings.challenge_channel)
        in_this_server = getattr(getattr(configured, "guild", None), "id", None) == interaction.guild_id
        channel_id = configured.id if in_this_server else interaction.channel_id  # else: here
        try:
            started = await self.fire(None, channel_id=channel_id)
        except Exception:
            log.exception("challenge: /challenge now failed")
            await tell(interaction, "Something went wrong starting the challenge; the bot's log has the details.")
            return
        if started is None:
            await tell(interaction, f"I can't post in <#{channel_id}>, so no challenge was started.")
            return
        await tell(interaction, f"🎬 Challenge started in <#{channel_id}>: brief #{started[0]}.")

    @challenge.command(name="next", description="When the next scheduled challenge starts")
    async def when_next(self, interaction: discord.Interaction) -> None:
        when = self.next_time()
        if when is None:
            await tell(interaction, self.problem or "No more challenges are scheduled.")
            return
        ts = int(when.timestamp())
        hours = self.bot.settings.challenge_hours
        await tell(interaction, f"⏰ The next {hours}-hour challenge starts <t:{ts}:F> (<t:{ts}:R>) "
                                f"in <#{self.bot.settings.challenge_channel}>.")


async def setup(bot) -> None:
    await bot.add_cog(Challenge(bot))
