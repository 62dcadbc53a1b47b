"""`python bot.py write`: write screenplay takes that honour a challenge brief."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli import CliError
from bot.names import slug
from bot.settings import Settings

NAME = "write"
HELP = "write screenplay takes from a brief (title, required lines, props)"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", required=True, help="the film's title")
    parser.add_argument("--line", action="append", default=[], metavar="L",
                        help="a line of dialogue that must be spoken (repeat for more)")
    parser.add_argument("--prop", action="append", default=[], metavar="P",
                        help="a prop or action that must appear (repeat for more)")
    parser.add_argument("--science", help="a science theme to mention")
    parser.add_argument("--genre", help="genre, e.g. sci-fi (recorded with the brief)")
    parser.add_argument("--prime", help="prime text the takes start from (e.g. a scene heading)")
    parser.add_argument("--takes", type=int, default=3, help="how many takes (default 3)")
    parser.add_argument("--pages", type=float, default=1.0, help="length in pages, about a minute each (default 1)")
    parser.add_argument("--seed", type=int, help="random seed: the same seed writes the same takes")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default 0.8)")
    parser.add_argument("--top-k", type=int, default=40, help="sample among the k likeliest characters (0 = all)")
    parser.add_argument("--model", help="a shipped writer by name: screenplay (modern scenes, the default) or "
                                        "shakespeare; or a checkpoint, or a transformers model folder "
                                        "(default: BENJAMIN_WRITER_MODEL, else screenplay)")
    parser.add_argument("--cast-names", nargs="+", metavar="NAME", default=[],
                        help="name the busiest characters after these people (e.g. the cast who will play them), "
                             "in order")
    parser.add_argument("--out", type=Path, help="folder for take-N.fountain, .pdf and .fdx "
                                                 "(default: a new BENJAMIN_HOME/takes/TITLE folder)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary to stdout")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from engine.brief import Brief
    from engine.screenplay.writer import WriteOptions, write_takes

    if args.takes < 1:
        raise CliError("--takes must be at least 1")
    if args.top_k is not None and args.top_k < 0:
        raise CliError("--top-k must be 0 (all) or more")
    brief = Brief(title=args.title, lines=tuple(args.line), props=tuple(args.prop), science=args.science,
                  genre=args.genre, prime=args.prime, pages=args.pages).validated()
    options = WriteOptions(takes=args.takes, pages=args.pages, seed=args.seed, temperature=args.temperature,
                           top_k=args.top_k or None, model=args.model or settings.writer_model,
                           device=settings.device, cast_names=tuple(_cast_names(args.cast_names)))
    out = args.out or fresh_folder(settings.ensure_home() / "takes", brief.title)
    bar = _Bar()
    try:
        takes = write_takes(brief, options, out, on_progress=bar)
    except BaseException:
        if args.out is None and not any(out.iterdir()):  # leave no empty folder behind a failed run
            out.rmdir()
        raise
    finally:
        bar.close()
    best = max(takes, key=lambda t: t.score)
    if args.json:
        print(json.dumps({"title": takes[0].screenplay.title, "best": best.index, "takes": [summary(t) for t in takes]},
                         ensure_ascii=False))
    else:
        for t in takes:
            mark = "  (best)" if t is best else ""
            print(f"take {t.index}: {t.fountain_path}  {len(t.screenplay.scenes)} scene(s), "
                  f"{len(t.screenplay.characters())} characters, {t.screenplay.word_count()} words{mark}")
    return 0


def _cast_names(names: list[str]) -> list[str]:
    """Names usable as character cues: letters first, no more than 30 characters, no duplicates."""
    import re

    seen, out = set(), []
    for name in names:
        clean = " ".join(name.split())
        if not re.fullmatch(r"[^\W\d_][\w .'-]{0,29}", clean):
            raise CliError(f"--cast-names: {name!r} cannot be a character's name (letters first, at most 30 characters)")
        if clean.upper() not in seen:
            seen.add(clean.upper())
            out.append(clean)
    return out


def fresh_folder(root: Path, title: str) -> Path:
    """A new folder under ``root`` named after the title (``-2``, ``-3``... when taken): no run overwrites another's."""
    root.mkdir(parents=True, exist_ok=True)
    base, n = slug(title), 1
    while True:
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def summary(take) -> dict:
    sp = take.screenplay
    return {"index": take.index, "fountain": str(take.fountain_path) if take.fountain_path else None,
            "pdf": str(take.pdf_path) if take.pdf_path else None,
            "fdx": str(take.fdx_path) if take.fdx_path else None, "seed": take.seed, "score": take.score,
            "pages": take.pages, "scenes": len(sp.scenes), "characters": sp.characters(),
            "words": sp.word_count()}


class _Bar:
    """A tqdm bar on stderr, opened on the first progress report (so an early error prints alone)."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, p) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=100, unit="%", dynamic_ncols=True, leave=False, desc="writing")
        self.bar.n = round(100 * p.fraction)
        self.bar.set_postfix_str(p.message[:60])
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
