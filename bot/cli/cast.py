"""`python bot.py cast ...`: the local cast (guild 0): people whose faces and voices films may use.

Running it locally implies the consent of the person added. Every photo must show one readable
face; if any photo fails, nothing is stored.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bot.cli import CliError
from bot.names import kept_name
from bot.settings import Settings

NAME = "cast"
HELP = "manage the local cast: add NAME PHOTO|VIDEO..., list, remove NAME, voice NAME PRESET, voices"
ORDER = 60
LOCAL_GUILD = 0
MAX_PHOTOS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    add = sub.add_parser("add", help="add (or replace) a cast member with face photos or a video")
    add.add_argument("name", help="the name to credit, e.g. \"Ada Lovelace\"")
    add.add_argument("photos", nargs="+", type=Path, metavar="PHOTO",
                     help="front-facing photos (or short videos) of that one person")
    add.add_argument("--voice", help="a voice preset (see: cast voices)")
    lst = sub.add_parser("list", help="list the cast")
    lst.add_argument("--json", action="store_true", help="print JSON")
    rm = sub.add_parser("remove", help="remove a cast member (and their stored photos)")
    rm.add_argument("name")
    voice = sub.add_parser("voice", help="choose a cast member's voice")
    voice.add_argument("name")
    voice.add_argument("preset", help="a voice preset (see: cast voices)")
    sub.add_parser("voices", help="list the voice presets")


def main(args: argparse.Namespace, settings: Settings) -> int:
    return {"add": _add, "list": _list, "remove": _remove, "voice": _voice, "voices": _voices}[args.action](
        args, settings)


def _db(settings: Settings):
    from storage.db import open_db

    settings.ensure_home()
    return open_db(settings.db_path)


def validate_photos(photos: list[Path], stills_dir: Path) -> list[Path]:
    """Each photo (or a video's frame, written to ``stills_dir``, and the video itself) showing one face,
    else CliError naming each bad one (nothing is stored)."""
    from engine.errors import FaceError
    from engine.faces import face_still

    if len(photos) > MAX_PHOTOS:
        raise CliError(f"at most {MAX_PHOTOS} photos per person")
    problems, stills, videos = [], [], []
    for photo in photos:
        try:
            still = face_still(photo, stills_dir)
            stills.append(still)
            if Path(still) != Path(photo):  # a video: keep it too, the face swap learns from its many frames
                videos.append(Path(photo))
        except FaceError as e:
            problems.append(str(e))
    if problems:
        raise CliError("photo rejected, nothing stored: " + "; ".join(problems))
    return stills + videos  # stills first: the first one is the face on cards and posters


def store_photos(settings: Settings, guild_id: int, user_id: int, photos: list[Path]) -> list[str]:
    """Copy the photos to BENJAMIN_HOME/cast/<guild>/<user>/ (replacing earlier ones); returns their paths."""
    folder = settings.home / "cast" / str(guild_id) / str(user_id)
    staging = folder.with_name(f".{user_id}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    names = []
    for i, photo in enumerate(photos):
        name = kept_name(f"photo_{i + 1:02d}", Path(photo).name, ".jpg")
        shutil.copyfile(photo, staging / name)
        names.append(name)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return [str(folder / n) for n in names]


def _add(args, settings: Settings) -> int:
    from storage import cast as caststore

    name = " ".join(args.name.split())
    if not name or len(name) > 80:
        raise CliError("the name must be 1 to 80 characters")
    if args.voice:
        _check_voice(args.voice)
    with tempfile.TemporaryDirectory() as stills_dir:
        stills = validate_photos(args.photos, Path(stills_dir))
        from engine.faces.advice import photo_tips

        tips = photo_tips(stills)  # what would swap better (the photos are kept either way)
        db = _db(settings)
        existing = caststore.member_by_name(db, LOCAL_GUILD, name)
        user_id = existing["user_id"] if existing else caststore.next_local_user_id(db, LOCAL_GUILD)
        stored = store_photos(settings, LOCAL_GUILD, user_id, stills)
    voice = args.voice or (existing or {}).get("voice")
    caststore.add_member(db, guild_id=LOCAL_GUILD, user_id=user_id, name=name, photos=stored, voice=voice,
                         consented_by=user_id)  # local use: the person running it consents
    from engine.faces.still import media_count

    print(f"{'updated' if existing else 'added'} {name} with {media_count(stored)}"
          + (f", voice {voice}" if voice else ""))
    for tip in tips:
        print(f"tip: {tip}")
    return 0


def _list(args, settings: Settings) -> int:
    from storage import cast as caststore

    members = caststore.list_members(_db(settings), LOCAL_GUILD)
    if args.json:
        print(json.dumps([{"name": m["name"], "photos": m["photos"], "voice": m["voice"]} for m in members]))
    elif not members:
        print("the cast is empty; add someone with: bot.py cast add NAME PHOTO...")
    else:
        for m in members:
            print(f"{m['name']}: {len(m['photos'])} photo(s), voice {m['voice'] or 'default'}")
    return 0


def _member(db, name: str) -> dict:
    from storage import cast as caststore

    member = caststore.member_by_name(db, LOCAL_GUILD, name)
    if member is None:
        raise CliError(f"nobody called {name!r} is in the cast (see: bot.py cast list)")
    return member


def _remove(args, settings: Settings) -> int:
    from storage import cast as caststore

    db = _db(settings)
    member = _member(db, args.name)
    caststore.remove_member(db, LOCAL_GUILD, member["user_id"])
    shutil.rmtree(settings.home / "cast" / str(LOCAL_GUILD) / str(member["user_id"]), ignore_errors=True)
    print(f"removed {member['name']}")
    return 0


def _check_voice(name: str) -> str:
    from engine.errors import VoiceError
    from engine.voice import preset

    try:
        return preset(name).preset
    except VoiceError as e:
        raise CliError(str(e)) from None


def _voice(args, settings: Settings) -> int:
    from storage import cast as caststore

    db = _db(settings)
    member = _member(db, args.name)
    chosen = _check_voice(args.preset)
    caststore.set_voice(db, LOCAL_GUILD, member["user_id"], chosen)
    print(f"{member['name']} now speaks with {chosen}")
    return 0


def _voices(args, settings: Settings) -> int:
    from engine.voice import PRESETS

    for name, spec in PRESETS.items():
        print(f"{name}: {spec.label()}")
    return 0
