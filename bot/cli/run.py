"""`python bot.py run`: connect to Discord (DISCORD_TOKEN in .env) with a worker thread beside it."""
from __future__ import annotations

import argparse
import logging

from bot.settings import Settings

NAME = "run"
HELP = "run the Discord bot (needs DISCORD_TOKEN in .env)"
ORDER = 10

log = logging.getLogger(__name__)


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
    stop = None
    if settings.inline_worker and not args.no_worker:
        from bot.worker import Worker

        _thread, stop = Worker(settings).start_thread()
    bot = build_bot(settings, sync_commands=not args.no_sync)
    import discord

    try:
        bot.run(token, log_handler=None)  # logging is already set up by the CLI; the token is never logged
    except discord.LoginFailure:
        raise CliError("Discord rejected DISCORD_TOKEN; reset it in the Developer Portal and update .env") from None
    except discord.PrivilegedIntentsRequired:
        raise CliError("enable the Message Content intent for this bot in the Developer Portal (Bot tab)") from None
    finally:
        if stop is not None:
            stop.set()
    return 0
