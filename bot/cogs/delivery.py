"""Results out: finished jobs are posted exactly once (storage.jobs.mark_posted).

Takes (excerpt + .fountain + .pdf + .fdx + a number reaction each, then the ballot), films (mp4 + poster +
script + credits, or a clear way to get a film too big for the guild), trained checkpoints, failures.
Each take stores its message id as soon as it is sent, and a film's upload is looked for in the
channel before it is sent again after a restart, so a crash between "sent" and "marked" cannot
post twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import discord
from discord.ext import commands, tasks

from bot.cogs._common import interaction_is_admin, tell
from bot.names import slug
from bot.text import MESSAGE_LIMIT, excerpt_block, format_duration, format_mb, number_emoji, safe
from bot.views import ballot_view, smaller_view
from storage.briefs import get_brief, set_brief_message
from storage.films import film_for_job
from storage import jobs as jobstore
from storage.takes import get_take, set_take_message, takes_for_brief
from studio.briefs import film_posted, outcome_reported
from studio.requests import pending_posts, queue_smaller, render_budget_mb
from studio.voting import open_ballot

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
MAX_TRIES = 5  # delivery attempts before giving up on a job


def _closers(requester_id: int, me) -> str:
    """Who may close a vote, and who breaks ties; a scheduled challenge (the bot asked) has no requester."""
    if me is not None and requester_id == me.id:
        return "an admin closes it; ties go to the lowest take number."
    return f"<@{requester_id}> or an admin closes it; ties go to the requester's pick."


class Delivery(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self._busy: set[int] = set()
        self._tries: dict[int, int] = {}
        self._startup: set[int] | None = None  # jobs already finished-unposted when this process started

    async def cog_load(self) -> None:
        self.loop.change_interval(seconds=self.bot.poll_seconds)
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    @tasks.loop(seconds=POLL_SECONDS)
    async def loop(self) -> None:
        try:
            jobs = await self.bot.db(pending_posts)
        except Exception:
            log.exception("delivery: cannot read finished jobs")
            return
        if self._startup is None:
            self._startup = {j["id"] for j in jobs}
        progress = self.bot.get_cog("Progress")
        for job in jobs:
            if job["id"] in self._busy:
                continue
            if job.get("progress_message_id") and progress and not progress.is_final_shown(job["id"]):
                continue  # let the progress message show the outcome first
            self._busy.add(job["id"])
            try:
                await self.deliver(job)
            except Exception as e:  # retried next tick, a few times
                await self._failed_delivery(job, e)
            finally:
                self._busy.discard(job["id"])

    async def _failed_delivery(self, job: dict, error: Exception) -> None:
        """Log; after MAX_TRIES give up on this job (so it is not retried forever) and say so if possible."""

        n = self._tries[job["id"]] = self._tries.get(job["id"], 0) + 1
        log.warning("job %s: delivery failed (%s: %s), try %d", job["id"], type(error).__name__, error, n)
        if n < MAX_TRIES:
            return
        try:
            await self.bot.db(jobstore.mark_posted, job["id"], None)
        except Exception:  # raising here would end the delivery loop for every job; try again next tick
            log.exception("job %s: cannot record that its delivery was given up", job["id"])
            return
        channel = await self.bot.channel(job["channel_id"])
        if channel is not None:
            try:
                await channel.send(f"⚠️ Job #{job['id']} finished but I could not post its result; "
                                   "`/job info` has the details.")
            except discord.HTTPException:
                pass

    @loop.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def deliver(self, job: dict) -> None:

        channel = await self.bot.channel(job["channel_id"])
        if channel is None:
            log.warning("job %s: channel %s is gone; not posting", job["id"], job["channel_id"])
            await self.bot.db(jobstore.mark_posted, job["id"], None)
            return
        handler = {"write": self._write_done, "film": self._film_done, "train": self._train_done}[job["kind"]]
        if job["status"] == "done":
            message_id = await handler(job, channel)
        else:
            message_id = await self._not_done(job, channel)
        await self.bot.db(jobstore.mark_posted, job["id"], message_id)

    # ---- takes -----------------------------------------------------------------------------------

    async def _write_done(self, job: dict, channel) -> int | None:

        brief_row = await self.bot.db(get_brief, job["brief_id"])
        takes = await self.bot.db(takes_for_brief, job["brief_id"])
        open_vote = brief_row["status"] in ("writing", "voting")
        last = None
        for take in takes:
            if take.get("message_id"):
                continue
            last = await self._post_take(channel, brief_row, take, open_vote)
        if open_vote:
            last = await self._post_ballot(channel, brief_row, len(takes)) or last
        return last

    async def _post_take(self, channel, brief_row: dict, take: dict, open_vote: bool) -> int:

        i = take["index"]
        fountain = Path(take["fountain_path"])
        text = await asyncio.to_thread(_read_text, fountain)
        title = brief_row["brief"].get("title", "")
        head = f"**Take {i}** of *{safe(title, 100)}* · seed {take.get('seed')}"
        head += f" · vote with {number_emoji(i)}" if open_vote and i <= 10 else ""
        files = [discord.File(fountain, filename=f"{slug(title)}-take{i}.fountain")] if fountain.is_file() else []
        pdf = Path(take["pdf_path"]) if take.get("pdf_path") else None
        if pdf and pdf.is_file():
            files.append(discord.File(pdf, filename=f"{slug(title)}-take{i}.pdf"))
        if fountain.with_suffix(".fdx").is_file():  # Final Draft XML, written beside the .fountain
            files.append(discord.File(fountain.with_suffix(".fdx"), filename=f"{slug(title)}-take{i}.fdx"))
        body = excerpt_block(text, budget=MESSAGE_LIMIT - len(head) - 1, limit=1600)
        msg = await channel.send(f"{head}\n{body}", files=files)
        await self.bot.db(set_take_message, take["id"], msg.id)
        if open_vote and i <= 10:
            try:
                await msg.add_reaction(number_emoji(i))
            except discord.HTTPException as e:
                log.warning("take %s: could not add the vote reaction: %s", take["id"], e)
        return msg.id

    async def _post_ballot(self, channel, brief_row: dict, n_takes: int) -> int | None:

        s = self.bot.settings
        brief_id = brief_row["id"]
        brief_row = await self.bot.db(open_ballot, brief_id, time.time(), s.vote_seconds)
        if brief_row is None:  # the vote closed meanwhile: no ballot for it
            return None
        deadline = brief_row["vote_deadline"]
        old = brief_row.get("message_id")
        if old:  # keep the buttons under the newest take
            try:
                await channel.get_partial_message(old).delete()
            except discord.HTTPException:
                pass
        more = n_takes < s.max_takes
        text = (f"🗳️ **Vote** on *{safe(brief_row['brief'].get('title'), 100)}* (brief #{brief_id}): react with a "
                f"take's number. One vote each; a new reaction moves your vote, removing it withdraws it.\n"
                f"Voting closes <t:{int(deadline)}:R>, or when " + _closers(brief_row["requester_id"], self.bot.user)
                + (f" 🔄 asks for another take (up to {s.max_takes})." if more else ""))
        msg = await channel.send(text, view=ballot_view(brief_id, more=more))
        await self.bot.db(set_brief_message, brief_id, msg.id)
        return msg.id

    # ---- films -----------------------------------------------------------------------------------

    async def _film_done(self, job: dict, channel) -> int | None:

        film = await self.bot.db(film_for_job, job["id"]) or {}
        result = job.get("result") or {}
        brief_row = await self.bot.db(get_brief, job["brief_id"]) if job.get("brief_id") else None
        take = await self.bot.db(get_take, job["payload"].get("take_id")) if job["payload"].get("take_id") else None
        title = (brief_row or {}).get("brief", {}).get("title") or "Untitled"
        name = f"{slug(title)}-job{job['id']}.mp4"
        if job["id"] in (self._startup or set()):  # finished while we were away: maybe posted, not recorded
            found = await self._find_posted(channel, name)
            if found:
                log.info("job %s: film was already posted (message %s)", job["id"], found)
                return found
        path = Path(film.get("path") or result.get("film") or "")
        limit = int(self.bot.upload_limit_mb(job.get("guild_id")) * 2**20)
        text = _film_text(job, title, take, film, result)
        msg = await self._upload_film(channel, text, path, name, limit,
                                      extras=((film.get("poster"), f"{slug(title)}-poster"),
                                              ((take or {}).get("fountain_path"), f"{slug(title)}-script")))
        if msg is None:
            size = path.stat().st_size if path.is_file() else 0
            why = ("The film file is missing on the bot's machine." if not path.is_file() else
                   f"The film is {format_mb(size)}, over this server's upload limit of {format_mb(limit)}."
                   if size > limit else f"Discord refused the {format_mb(size)} upload as too large.")
            msg = await channel.send(f"{text}\n⚠️ {why} It is kept on the bot's machine as job #{job['id']}; "
                                     "press the button for a smaller render that fits.",
                                     view=smaller_view(job["id"]))
        if brief_row:
            await self.bot.db(film_posted, brief_row["id"])
        return msg.id

    async def _upload_film(self, channel, text: str, path: Path, name: str, limit: int, extras):
        """Post the mp4 (+ poster and script while they fit); None when it is too big for the guild."""
        if not path.is_file() or path.stat().st_size > limit:
            return None
        size = path.stat().st_size
        files = [discord.File(path, filename=name)]
        for extra, stem in extras:
            if extra and Path(extra).is_file() and size + Path(extra).stat().st_size < limit:
                size += Path(extra).stat().st_size
                files.append(discord.File(extra, filename=stem + Path(extra).suffix))
        try:
            return await channel.send(text, files=files)
        except discord.HTTPException as e:
            if e.status == 413:  # Payload Too Large: the guild's real limit is lower than we thought
                return None
            raise

    async def _find_posted(self, channel, filename: str) -> int | None:
        """A film upload by this bot already in the channel (recent history), after a restart."""
        try:
            async for m in channel.history(limit=50):
                if m.author.id == self.bot.user.id and any(a.filename == filename for a in m.attachments):
                    return m.id
        except discord.HTTPException as e:
            log.warning("cannot read channel history: %s", e)
        return None

    async def smaller_from_interaction(self, interaction: discord.Interaction, job_id: int) -> None:
        """📉 button: queue the same film again with a smaller size budget."""

        job = await self.bot.db(jobstore.get_job, job_id)
        if job is None:
            await tell(interaction, f"Job #{job_id} is gone.")
            return
        if interaction.user.id != job["requester_id"] and not interaction_is_admin(interaction):
            await tell(interaction, "Only the person who asked for this film, or an admin, can re-render it.")
            return
        limit = self.bot.upload_limit_mb(job.get("guild_id"))
        payload = dict(job["payload"], max_mb=round(render_budget_mb(limit) * 0.7, 2), smaller=True)
        new_id = await self.bot.db(queue_smaller, job, payload, interaction.user.id,
                                   self.bot.settings.max_queued_per_user)
        if isinstance(new_id, str):
            await tell(interaction, new_id)
            return
        await tell(interaction, f"Rendering a smaller version: job #{new_id}.", ephemeral=False)

    # ---- training and failures -------------------------------------------------------------------

    async def _train_done(self, job: dict, channel) -> int:
        result = job.get("result") or {}  # the worker already switched the guild's writer (WRITER_KEY)
        ckpt = result.get("checkpoint")
        bpc = result.get("val_bpc") or result.get("bpc")
        msg = await channel.send(
            f"🧠 Training job #{job['id']} finished" + (f" (validation {float(bpc):.3f} bits per char)" if bpc else "")
            + (". This server's writer now uses the new checkpoint; `/train revert` goes back to the shipped one."
               if ckpt else ", but it produced no checkpoint; the writer is unchanged."))
        return msg.id

    async def _not_done(self, job: dict, channel) -> int:

        what = {"write": "Writing takes", "film": "Making the film", "train": "Training"}[job["kind"]]
        if job["status"] == "cancelled":
            text = f"✖️ {what} (job #{job['id']}) was cancelled."
        else:
            reason = job.get("error") or job.get("message") or "unknown reason"
            text = f"❌ {what} (job #{job['id']}) failed: {safe(reason, 500)}"
        await self.bot.db(outcome_reported, job)
        msg = await channel.send(text)
        return msg.id


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


MESSAGE_ROOM = 1750  # of the 2,000 characters a Discord message holds: room left for the too-big warning


def _film_text(job: dict, title: str, take: dict | None, film: dict, result: dict) -> str:
    lines = [f"🎬 **{safe(title, 100)}**" + (f" · take {take['index']}" if take else "") + f" · job #{job['id']}"]
    if film.get("duration_s"):
        lines.append(f"{format_duration(film['duration_s'])} · {format_mb(film.get('size_bytes'))}")
    credits = result.get("credits")
    if isinstance(credits, (list, tuple)):
        credits = "\n".join(str(c) for c in credits)
    lines.append("**Credits**")
    lines.append(safe(credits, 900) if credits else
                 "Written by Benjamin, an AI (a character-level LSTM). Voices are synthetic; faces may be AI-swapped.")
    asked = f"Requested by <@{job['requester_id']}>."
    notes = [f"- {safe(n, 240)}" for n in result.get("notes") or ()]  # what the cast should know (the swap's tips)
    room = MESSAGE_ROOM - len("\n".join([*lines, asked])) - len("\n**Notes**")
    kept = []
    for note in notes:
        if len(note) + 1 > room:
            break
        kept.append(note)
        room -= len(note) + 1
    if kept:
        lines += ["**Notes**", *kept]
    lines.append(asked)
    return "\n".join(lines)


async def setup(bot) -> None:
    await bot.add_cog(Delivery(bot))
