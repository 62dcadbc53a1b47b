"""`python bot.py footage ...`: the local footage library (guild 0): clips cut into shots, the actors in them.

    bot.py footage add PATH... [--credit TEXT] [--licence TEXT]   # files or folders; resumable, duplicates skipped
    bot.py footage list [--json]
    bot.py footage remove ID|NAME
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli import CliError
from bot.settings import Settings

NAME = "footage"
HELP = "manage the footage library films are cut from: add PATH..., list, remove ID|NAME"
ORDER = 65
LOCAL_GUILD = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    add = sub.add_parser("add", help="add video clips (files or folders of them) to the library")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--credit", default="", help="who made the footage, as the film's credits should print it")
    add.add_argument("--licence", "--license", default="", help="its licence, e.g. \"CC BY 3.0\" or \"public domain\"")
    add.add_argument("--json", action="store_true", help="print what happened as JSON")
    lst = sub.add_parser("list", help="list the clips, their shots and actors")
    lst.add_argument("--json", action="store_true", help="print JSON")
    rm = sub.add_parser("remove", help="remove a clip (by its number or name)")
    rm.add_argument("clip", metavar="ID|NAME")


def main(args: argparse.Namespace, settings: Settings) -> int:
    return {"add": _add, "list": _list, "remove": _remove}[args.action](args, settings)


def _db(settings: Settings):
    from storage.db import open_db

    settings.ensure_home()
    return open_db(settings.db_path)


def _add(args, settings: Settings) -> int:
    from bot.library import add_clips
    from engine.errors import FootageError

    def show(p) -> None:
        if not args.json and sys.stderr.isatty():
            sys.stderr.write(f"\r{int(100 * p.fraction):3d}% {p.message[:70]:<70}")
            sys.stderr.flush()

    try:
        report = add_clips(_db(settings), settings, args.paths, guild_id=LOCAL_GUILD, credit=args.credit.strip(),
                           licence=args.licence.strip(), on_progress=show)
    except FootageError as e:
        raise CliError(str(e)) from None
    finally:
        if not args.json and sys.stderr.isatty():
            sys.stderr.write("\n")
    if args.json:
        print(json.dumps({"added": report.added, "skipped": report.skipped, "failed": report.failed}))
    else:
        for line in report.lines():
            print(line)
    if report.added and not (args.credit or args.licence):
        print("note: no --credit or --licence given; the film's credits will name the clips by file name",
              file=sys.stderr)
    return 0 if report.added or report.skipped else 1


def _list(args, settings: Settings) -> int:
    from storage import footage as store

    db = _db(settings)
    clips = store.list_clips(db, LOCAL_GUILD)
    actors = {a["id"]: a for a in store.list_actors(db, LOCAL_GUILD)}
    if args.json:
        print(json.dumps({"clips": [{k: c[k] for k in ("id", "name", "path", "credit", "licence", "duration", "fps",
                                                         "width", "height", "rotation", "has_audio", "status")}
                                    | {"shots": [{k: s[k] for k in ("start", "end", "framing", "faces", "thumbnail")}
                                                 | {"actors": [actors[a]["name"] for a in s["actors"] if a in actors]}
                                                 for s in c["shots"]]} for c in clips],
                          "actors": [{"id": a["id"], "name": a["name"], "thumbnail": a["thumbnail"]}
                                     for a in actors.values()]}))
        return 0
    if not clips:
        print("the footage library is empty; add clips with: bot.py footage add PATH... (films use the shipped "
              "footage until then)")
        return 0
    for c in clips:
        people = sorted({actors[a]["name"] for s in c["shots"] for a in s["actors"] if a in actors})
        framings = ", ".join(f"{n} {f}" for f, n in _count(s["framing"] for s in c["shots"]))
        state = "" if c["status"] == "done" else f" [{c['status']}: {len(c['shots'])}/{len(c['spans'])} shots; " \
                                                  f"add it again to finish]"
        print(f"#{c['id']} {c['name']}: {c['duration']:.1f} s, {c['width']}x{c['height']}, {len(c['shots'])} shot(s)"
              f" ({framings}){state}")
        print(f"    actors: {', '.join(people) or 'none'}; credit: {_credit(c)}")
    return 0


def _count(items) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return list(out.items())


def _credit(c: dict) -> str:
    return ", ".join(x for x in (c["credit"], c["licence"]) if x) or "(none given)"


def _remove(args, settings: Settings) -> int:
    from bot.library import remove
    from engine.errors import FootageError

    try:
        print(remove(_db(settings), settings, LOCAL_GUILD, args.clip))
    except FootageError as e:
        raise CliError(str(e)) from None
    return 0
