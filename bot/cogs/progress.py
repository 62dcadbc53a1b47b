"""One progress message per job, edited in place from storage, at most once per BENJAMIN_PROGRESS_EDIT_SECONDS.

Progress messages are ordinary channel messages (never interaction responses), so jobs longer than an
interaction token's 15 minutes keep updating, and after a restart the loop simply finds every job's
message in storage and carries on editing it.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import discord
from discord.ext import commands, tasks

from bot.text import progress_text
from bot.views import job_view

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
FINISHED = ("done", "failed", "cancelled")
MAX_PREVIEW_BYTES = 4 * 2**20


class EditThrottle:
    """At most one edit per ``interval`` seconds per key (pure; the clock is passed in)."""

    def __init__(self, interval: float) -> None:
        self.interval = float(interval)
        self._last: dict[int, float] = {}

    def ready(self, key: int, now: float) -> bool:
        last = self._last.get(key)
        return last is None or now - last >= self.interval

    def mark(self, key: int, now: float) -> None:
        self._last[key] = now

    def forget(self, key: int) -> None:
        self._last.pop(key, None)

    def keys(self) -> set[int]:
        return set(self._last)


def snapshot(db) -> dict:
    """Everything the loop needs in one storage call: new jobs, tracked jobs, titles, queue positions."""
    from storage import jobs
    from storage.briefs import get_brief

    active = jobs.queue(db)
    tracked = jobs.jobs_with_progress_messages(db)
    new = [j for j in active if not j.get("progress_message_id") and j.get("channel_id")]
    titles: dict[int, str] = {}
    for j in new + tracked:
        bid = j.get("brief_id")
        if bid and bid not in titles:
            b = get_brief(db, bid)
            titles[bid] = (b or {}).get("brief", {}).get("title", "")
    return {"new": new, "tracked": tracked, "titles": titles,
            "positions": {j["id"]: j["position"] for j in active if j["status"] == "queued"}}


class ProgressCog(commands.Cog, name="Progress"):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.throttle = EditThrottle(bot.settings.progress_edit_seconds)
        self._shown: dict[int, str] = {}  # job id -> text last shown
        self._preview: dict[int, str] = {}  # job id -> preview path last attached
        self._final: set[int] = set()  # jobs whose finished state is on screen
        self._cannot_post: set[int] = set()  # jobs whose channel refuses our messages
        self.clock = time.monotonic

    async def cog_load(self) -> None:
        self.loop.change_interval(seconds=self.bot.poll_seconds)
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    def is_final_shown(self, job_id: int) -> bool:
        """Whether delivery may go ahead: the outcome is on screen, or its progress message cannot be shown."""
        return job_id in self._final or job_id in self._cannot_post

    @tasks.loop(seconds=POLL_SECONDS)
    async def loop(self) -> None:
        try:
            snap = await self.bot.db(snapshot)
        except Exception:  # e.g. the database is locked for a long time: try again next tick
            log.exception("progress: cannot read jobs")
            return
        work = [(self._post, j) for j in snap["new"] if j["id"] not in self._cannot_post]
        work += [(self._update, j) for j in snap["tracked"] if j["id"] not in self._cannot_post]
        for step, job in work:
            try:
                await step(job, snap)
            except Exception:  # one bad job must not stop the others (or the loop)
                log.exception("progress: job %s", job["id"])
        self._forget_all_but({j["id"] for j in snap["new"]} | {j["id"] for j in snap["tracked"]})

    def _forget_all_but(self, live: set[int]) -> None:
        """Drop what is remembered about jobs that are reported and gone, so a long-running bot does not grow."""
        for seen in (self._shown, self._preview):
            for job_id in seen.keys() - live:
                del seen[job_id]
        self._final &= live
        self._cannot_post &= live
        for job_id in self.throttle.keys() - live:
            self.throttle.forget(job_id)

    @loop.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    def _text(self, job: dict, snap: dict) -> str:
        title = snap["titles"].get(job.get("brief_id"))
        return progress_text(job, title=title, position=snap["positions"].get(job["id"]))

    async def _post(self, job: dict, snap: dict) -> None:
        channel = await self.bot.channel(job["channel_id"])
        if channel is None:  # gone or hidden: do not look it up again every tick
            self._cannot_post.add(job["id"])
            return
        from storage.jobs import set_progress_message

        text = self._text(job, snap)
        try:
            msg = await channel.send(text, view=job_view(job["id"]))
        except discord.Forbidden:  # no right to post there: the job still runs, its result may still post
            log.warning("job %s: cannot post a progress message in channel %s", job["id"], job["channel_id"])
            self._cannot_post.add(job["id"])
            return
        await self.bot.db(set_progress_message, job["id"], channel.id, msg.id)
        self.throttle.mark(job["id"], self.clock())
        self._shown[job["id"]] = text

    async def _update(self, job: dict, snap: dict) -> None:
        job_id = job["id"]
        finished = job["status"] in FINISHED
        text = self._text(job, snap)
        preview = job.get("preview") if not finished else None
        new_preview = bool(preview and preview != self._preview.get(job_id) and _small_file(preview))
        if text == self._shown.get(job_id) and not new_preview:
            if finished:
                self._final.add(job_id)
            return
        now = self.clock()
        if not self.throttle.ready(job_id, now):
            return
        channel = self.bot.get_partial_messageable(job["progress_channel_id"])
        kwargs: dict = {"content": text, "view": None if finished else job_view(job_id)}
        if new_preview:
            kwargs["attachments"] = [discord.File(preview, filename=f"preview{Path(preview).suffix or '.png'}")]
        try:
            await channel.get_partial_message(job["progress_message_id"]).edit(**kwargs)
        except discord.NotFound:  # someone deleted it: post a fresh one
            try:
                msg = await channel.send(text, view=kwargs["view"])
            except (discord.NotFound, discord.Forbidden):  # the channel is gone or closed to us: stop showing it
                log.warning("job %s: its progress message is gone and cannot be posted again", job_id)
                self._cannot_post.add(job_id)
                return
            from storage.jobs import set_progress_message

            await self.bot.db(set_progress_message, job_id, channel.id, msg.id)
        except discord.Forbidden:  # cannot edit any more: stop trying, let delivery go ahead
            log.warning("job %s: no permission to edit its progress message", job_id)
            self._shown[job_id] = text
            if finished:
                self._final.add(job_id)
            return
        except discord.HTTPException as e:  # transient: the next tick tries again
            log.warning("job %s: progress edit failed: %s", job_id, e)
            return
        self.throttle.mark(job_id, now)
        self._shown[job_id] = text
        if new_preview:
            self._preview[job_id] = preview
        if finished:
            self._final.add(job_id)


def _small_file(path: str) -> bool:
    try:
        p = Path(path)
        return p.is_file() and p.stat().st_size <= MAX_PREVIEW_BYTES
    except OSError:
        return False


async def setup(bot) -> None:
    await bot.add_cog(ProgressCog(bot))
