"""The command line. Each subcommand is one module in this package exposing:

    NAME = "write"            # the subcommand
    HELP = "one line"         # shown by --help
    ORDER = 30                # position in --help
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def main(args: argparse.Namespace, settings: Settings) -> int

Modules are discovered, so adding a command is adding a file.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sqlite3
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)


class CliError(Exception):
    """A user error on the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _commands():
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "main"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bot.py", description="Benjamin: writes, casts, voices and renders short films from a brief.")
    parser.add_argument("--env-file", help="settings file (default .env; the environment overrides it)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_main=mod.main)
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in ("discord.gateway", "discord.http", "apscheduler", "PIL", "matplotlib", "pyscenedetect"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    from engine.errors import EngineError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 0
    settings: Settings | None = None
    try:
        if args.env_file and Path(args.env_file).is_dir():  # (a missing file means: the environment only)
            raise CliError(f"--env-file {args.env_file} is a folder, not a settings file")
        settings = load_settings(args.env_file or ".env")
        setup_logging("DEBUG" if args.verbose else settings.log_level)
        return int(args._main(args, settings) or 0)
    except (CliError, SettingsError, EngineError) as e:
        print(f"bot.py {args.command}: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, (CliError, SettingsError)) else 1
    except KeyboardInterrupt:
        print(f"bot.py {args.command}: interrupted", file=sys.stderr)
        return 130
    except sqlite3.DatabaseError as e:  # a damaged or foreign benjamin.db: say which file, not a traceback
        where = settings.db_path if settings else "BENJAMIN_HOME/benjamin.db"
        hint = "" if isinstance(e, sqlite3.OperationalError) else "; move it aside to start afresh"  # locked: wait
        print(f"bot.py {args.command}: error: the database {where} cannot be used ({e}){hint}", file=sys.stderr)
        return 1
