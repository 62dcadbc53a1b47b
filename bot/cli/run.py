"""`python bot.py run`: connect to Discord (DISCORD_TOKEN in .env) with a worker thread beside it."""
from __future__ import annotations

import argparse
import asyncio
import logging
import time

from bot.settings import Settings
from studio import signals

NAME = "run"
HELP = "run the Discord bot (needs DISCORD_TOKEN in .env)"
ORDER = 10

log = logging.getLogger(__name__)
WORKER_STOP_S = 10.0  # how long a stop waits for the inline worker to give its job back


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-worker", action="store_true",
                        help="do not run a worker thread in this process (run `python bot.py worker` instead)")
    parser.add_argument("--no-sync", action="store_true", help="do not sync slash commands with Discord at start")


def build_bot(settings: Settings, *, sync_commands: bool = True, **options):
    """The bot wired to this settings' database (used by `run` and by the tests)."""
    from bot.client import BenjaminBot, point_at_api
    from storage.db import open_db

    point_at_api(settings.discord_api)
    return BenjaminBot(settings, lambda: open_db(settings.db_path), sync_commands=sync_commands, **options)


def main(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.require_token()  # one clear line when it is missing
    from bot.cli import CliError
    from bot.challenge_schedule import schedule_problem

    problem = schedule_problem(settings)
    if problem:  # fail fast rather than run without the challenges asked for
        raise CliError(problem)
    settings.ensure_home()
    workers, threads = [], []
    if settings.remote or (settings.inline_worker and not args.no_worker):
        from studio.worker import workers_for  # with BENJAMIN_QUEUE_URL: light threads following remote jobs

        workers = workers_for(settings)
        threads = [w.start_thread()[0] for w in workers]
    bot = build_bot(settings, sync_commands=not args.no_sync)
    import discord

    try:
        asyncio.run(_serve(bot, token))  # logging is already set up by the CLI; the token is never logged
    except discord.LoginFailure:
        raise CliError("Discord rejected DISCORD_TOKEN; reset it in the Developer Portal and update .env") from None
    except discord.PrivilegedIntentsRequired:
        raise CliError("enable the Message Content intent for this bot in the Developer Portal (Bot tab)") from None
    finally:
        for worker in workers:  # the job in hand is given back at its next progress report, resumable
            worker.stopping.set()
        deadline = time.monotonic() + WORKER_STOP_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("a worker thread did not stop within %ss; its job resumes after its lease", WORKER_STOP_S)
    return 0


async def _serve(bot, token: str) -> None:
    """Run the bot until it closes; SIGINT or SIGTERM close it (whatever dispositions were inherited)."""
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task] = []
    signals.install_on_loop(loop, lambda: closing.append(loop.create_task(bot.close())))
    async with bot:
        await bot.start(token)
    for task in closing:
        await task
