"""Queue and control: ``/queue``, ``/cancel``, ``/job info`` and the progress message's ✖️ button.

``/job info`` lives in a ``/job`` group rather than under ``/film``: Discord does not let a command
that has subcommands take options itself, and ``/film title: line: prop:`` is the one-shot command
people use most, so it stays flat.
"""
from __future__ import annotations

import json
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._common import interaction_is_admin, tell
from bot.text import brief_summary, code_block, format_duration, safe

log = logging.getLogger(__name__)

QUEUE_SHOWN = 15


def queue_text(rows: list[dict], user_id: int | None = None) -> str:
    """The /queue listing (pure): position, job, kind, whose, status/ETA; the caller's jobs marked."""
    if not rows:
        return "The queue is empty: a new job starts right away."
    out = ["**Queue**"]
    for r in rows[:QUEUE_SHOWN]:
        mine = " ← yours" if user_id is not None and r.get("requester_id") == user_id else ""
        state = (f"running `{safe(r.get('stage') or 'starting', 30)}` {int((r.get('fraction') or 0) * 100)}%"
                 if r["status"] == "running" else "queued")
        out.append(f"{r['position']}. job #{r['id']} · {r['kind']} · <@{r['requester_id']}> · {state} · "
                   f"done in ~{format_duration(r.get('eta_s'))}{mine}")
    if len(rows) > QUEUE_SHOWN:
        out.append(f"… and {len(rows) - QUEUE_SHOWN} more.")
    return "\n".join(out)


def job_info(db, job_id: int) -> dict | None:
    from storage.briefs import get_brief
    from storage.jobs import get_job
    from storage.takes import get_take

    job = get_job(db, job_id)
    if job is None:
        return None
    brief = get_brief(db, job["brief_id"]) if job.get("brief_id") else None
    take = get_take(db, job["payload"]["take_id"]) if job["payload"].get("take_id") else None
    return {"job": job, "brief": brief, "take": take}


def job_info_text(info: dict) -> str:
    """The /job info text (pure): status, brief, take and seed, settings."""
    job, brief, take = info["job"], info["brief"], info["take"]
    lines = [f"**Job #{job['id']}** · {job['kind']} · {job['status']} · requested by <@{job['requester_id']}>"]
    if job["status"] == "running":
        lines.append(f"Stage `{safe(job.get('stage') or '?', 30)}` {int((job.get('fraction') or 0) * 100)}% · "
                     f"ETA {format_duration(job.get('eta_s'))}")
    if job.get("error"):
        lines.append(f"Error: {safe(job['error'], 300)}")
    if brief:
        lines.append(f"Brief #{brief['id']} ({brief['status']}):\n{brief_summary(brief['brief'])}")
    if take:
        lines.append(f"Take {take['index']} · seed {take.get('seed')} · score "
                     f"{take['score'] if take.get('score') is None else round(take['score'], 3)}")
    settings = {k: v for k, v in job["payload"].items() if k not in ("brief_id", "take_id")}
    if settings:
        lines.append("Settings: " + code_block(json.dumps(settings, ensure_ascii=False, default=str)[:400], "json"))
    return "\n".join(lines)[:2000]


def _here(job: dict, interaction: discord.Interaction) -> bool:
    """Whether a job may be seen and acted on from this server: its own jobs, and the local CLI's (guild 0)."""
    return job.get("guild_id") in (0, interaction.guild_id)


class Queue(commands.Cog):
    job = app_commands.Group(name="job", description="Look at a job", guild_only=True)

    def __init__(self, bot) -> None:
        self.bot = bot

    @app_commands.command(name="queue", description="What is running and waiting, with ETAs")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        from storage.jobs import queue

        rows = await self.bot.db(queue)
        await tell(interaction, queue_text(rows, interaction.user.id))

    @app_commands.command(name="cancel", description="Cancel one of your jobs (admins: any job)")
    @app_commands.describe(job="The job number")
    @app_commands.guild_only()
    async def cancel(self, interaction: discord.Interaction, job: int) -> None:
        await self.cancel_from_interaction(interaction, job)

    async def cancel_from_interaction(self, interaction: discord.Interaction, job_id: int) -> None:
        from storage.jobs import cancel, get_job

        job = await self.bot.db(get_job, job_id)
        if job is None or not _here(job, interaction):
            await tell(interaction, f"There is no job #{job_id} here.")
            return
        if job["requester_id"] != interaction.user.id and not interaction_is_admin(interaction):
            await tell(interaction, f"Job #{job_id} is not yours; only its requester or an admin can cancel it.")
            return
        if not await self.bot.db(cancel, job_id):
            await tell(interaction, f"Job #{job_id} is already {job['status']}.")
            return
        log.info("job %s cancelled by %s", job_id, interaction.user.id)
        await tell(interaction, f"Cancelled job #{job_id}.")

    @job.command(name="info", description="A job's brief, take, seed and settings")
    @app_commands.describe(job="The job number")
    async def info(self, interaction: discord.Interaction, job: int) -> None:
        info = await self.bot.db(job_info, job)
        if info is None or not _here(info["job"], interaction):
            await tell(interaction, f"There is no job #{job} here.")
            return
        await tell(interaction, job_info_text(info))


async def setup(bot) -> None:
    await bot.add_cog(Queue(bot))
