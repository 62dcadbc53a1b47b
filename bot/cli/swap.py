"""`python bot.py swap --cast NAME --video CLIP --out OUT.mp4`: a cast member's face onto a clip's actor.

Only people in the cast (who added themselves) can be swapped in: the registry is the only source of
faces. The result keeps the clip's audio, carries a visible "AI" badge and an AI-generated metadata tag.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bot.cli import CliError
from bot.settings import Settings

NAME = "swap"
HELP = "put a cast member's face onto the actor of a video clip"
ORDER = 65
LOCAL_GUILD = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from engine.faces.castswap import PRESETS

    parser.add_argument("--cast", required=True, metavar="NAME", help="a cast member (see: bot.py cast list)")
    parser.add_argument("--video", required=True, type=Path, metavar="CLIP", help="the clip to swap into")
    parser.add_argument("--out", required=True, type=Path, metavar="OUT.mp4", help="where to write the result")
    parser.add_argument("--preset", choices=PRESETS, default="geometric",
                        help="geometric: no training (CPU default); tiny/small/large/zoneout: train learned models")
    parser.add_argument("--members", type=int, help="ensemble size for learned presets")
    parser.add_argument("--minutes", type=float, metavar="M",
                        help="learned presets: train for at most M minutes in all (without it, small trains each "
                             "member its full 2,000 steps: tens of minutes on a CPU)")
    parser.add_argument("--actor", type=int, help="which face of the clip: 0 = the most seen (default), 1 = next...")
    parser.add_argument("--glasses", choices=("auto", "keep", "remove"), default="auto",
                        help="auto (default): the actor's glasses stay on, in front of the new face, unless the cast "
                             "member wears their own in their photos; keep: the actor's stay on in any case; remove: "
                             "the new face is shown without the actor's (their arms beyond the face stay)")
    parser.add_argument("--no-audio", action="store_true", help="drop the clip's sound")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON, no progress")


def _member(settings: Settings, name: str) -> dict:
    from storage import cast as caststore
    from storage.db import open_db

    settings.ensure_home()
    member = caststore.member_by_name(open_db(settings.db_path), LOCAL_GUILD, name)
    if member is None:
        raise CliError(f"nobody called {name!r} is in the cast; add yourself first: bot.py cast add NAME PHOTO...")
    return member


def _check(args) -> None:
    if not args.video.is_file():
        raise CliError(f"no such video: {args.video}")
    if args.out.suffix.lower() != ".mp4":
        raise CliError(f"--out must end in .mp4, not {args.out.name}")
    if args.out.resolve() == args.video.resolve():
        raise CliError("--out must not overwrite the source clip")
    if args.out.exists() and args.out.is_dir():
        raise CliError(f"--out {args.out} is a folder")
    if args.members is not None and not 1 <= args.members <= 16:
        raise CliError("--members must be between 1 and 16")
    if args.minutes is not None:
        if args.preset == "geometric":
            raise CliError("--minutes is a training budget: the geometric preset needs no training "
                           "(choose --preset tiny, small, large or zoneout)")
        if not 0 < args.minutes <= 24 * 60:
            raise CliError("--minutes must be more than 0 and at most 1440 (a day)")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from engine.faces.castswap import CastSwapRequest, swap_cast_member
    from engine.faces.convert.glasses import GlassesConfig
    from engine.faces.evaluate import score_swap
    from engine.faces.swap import SwapOptions

    _check(args)
    member = _member(settings, args.cast)
    glasses = GlassesConfig(enabled=args.glasses != "remove", over_own=args.glasses == "keep")
    request = CastSwapRequest(member["name"], tuple(Path(p) for p in member["photos"]), args.video, args.out,
                              settings.home / "faces", args.preset, args.members, settings.device,
                              SwapOptions(actor=args.actor, keep_audio=not args.no_audio, glasses=glasses),
                              args.minutes)
    bar = None if args.json else _Progress(sys.stderr)
    t0 = time.monotonic()
    result, cast, notes = swap_cast_member(request, bar.update if bar else (lambda p: None))
    seconds = time.monotonic() - t0
    if bar:
        bar.done()
    for note in notes + result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.own_glasses:
        print("note: --glasses keep keeps the actor's glasses too", file=sys.stderr)
    figures = {"out": str(result.path), "cast": member["name"], "preset": args.preset, "frames": result.frames,
               "swapped_frames": result.swapped_frames, "actor": result.actor, "actors_in_clip": result.actors,
               "seconds": round(seconds, 2), "frames_per_second": round(result.frames / max(seconds, 1e-6), 2),
               "members": result.wins}
    if args.json:
        # every face of the first 10 seconds (every third frame reads lower on a hard clip: 0.35 against 0.41)
        score = score_swap(result.faces, result.actor, result.path, cast.mean_embedding, every=1, limit=240).as_dict()
        figures.update({("scored_frames" if k == "frames" else k): v for k, v in score.items()})
        print(json.dumps(figures))
    else:
        print(f"{member['name']} is now actor {result.actor} of {result.actors} in {result.path} "
              f"({result.swapped_frames} of {result.frames} frames swapped, {seconds:.1f}s). It is marked as AI-made.")
    return 0


class _Progress:
    def __init__(self, stream) -> None:
        self.stream, self.last = stream, -1

    def update(self, p) -> None:
        pct = int(100 * p.fraction)
        if pct // 10 != self.last // 10 or (self.stream.isatty() and pct != self.last):
            self.last = pct
            end = "\r" if self.stream.isatty() else "\n"
            self.stream.write(f"  swap {pct:3d}% {p.message[:70]}{end}")
            self.stream.flush()

    def done(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")
