"""Writer benchmark: every number is a ratio against a plain reference loop run in the same process (printed,
not asserted; robust to a machine that other work is loading, since both sides see the same load).

1. sampling: ``write_takes`` (4 takes x 5 pages, the shipped model) against the plainest sampling loop over the
   same model and batch (``logits, h = model(x, h); x = multinomial(softmax(logits / T))``, as many steps as
   the writer stepped), alternated twice, best of each; and whether the same seed gives the same takes;
2. training throughput: the engine's training step (mixed precision, AdamW, clipping, schedule) against a
   plain loop (nn.LSTM, Adam, fp32) on the same model and batches, steps interleaved;
3. learning per minute: a plain 2x256 LSTM against the engine's recipe (``bot.py train --minutes M``'s
   default for short budgets: the base preset), each given the same time budget of its own steps (interleaved), on the shared corpus (the
   Fountain plays + tinyshakespeare), scored on a Fountain play neither saw;
4. the shipped models' bits per char on that held-out play and on the held-out science-fiction script
   (assets/writer/corpus/heldout/, in the repo: this part runs without ../shared too); ``--compare CKPT``
   scores other checkpoints beside them (e.g. an earlier shipped model: ``git show REV:assets/writer/...``).

    python bench/bench_writer.py [--minutes 5] [--train-steps 20] [--threads N] [--model NAME] [--parts 1,2,3,4]
                                 [--compare CKPT...]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.brief import DEFAULT_BRIEF  # noqa: E402
from engine.screenplay import sampler  # noqa: E402
from engine.screenplay.checkpoint import load_checkpoint  # noqa: E402
from engine.screenplay.corpus import encode, load_corpus, normalise, read_document  # noqa: E402
from engine.screenplay.model import CharLSTM, ModelConfig  # noqa: E402
from engine.screenplay.train import Streams, Trainer, TrainConfig, evaluate, model_config  # noqa: E402
from engine.screenplay.writer import SHIPPED_MODELS, WriteOptions, resolve_model, write_takes  # noqa: E402

SHARED = Path(os.environ.get("BENJAMIN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "corpus"
HELD_OUT = SHARED / "plays_fountain" / "hedda_gabler.fountain"
HELD_OUT_SCIFI = ROOT / "assets" / "writer" / "corpus" / "heldout" / "the_climb.fountain"
SEED = 1337


# ------------------------------------------------------------------ 1. sampling

@torch.no_grad()
def plain_sampling(model: CharLSTM, batch: int, steps: int, temperature: float = 0.8) -> float:
    """The plainest sampling loop over ``model``: seconds for ``steps`` characters in each of ``batch`` takes."""
    model.eval()
    torch.manual_seed(SEED)
    x, h = torch.randint(1, model.config.vocab_size, (batch, 1)), None
    start = time.perf_counter()
    for _ in range(steps):
        logits, h = model(x, h)
        x = torch.multinomial(torch.softmax(logits[:, -1] / temperature, dim=-1), 1)
    return time.perf_counter() - start


def count_steps() -> list[int]:
    """Count the writer's LSTM steps (wraps the sampler's stepper factory)."""
    counted: list[int] = []
    real = sampler.make_stepper

    def counting(model, batch):
        stepper = real(model, batch)
        inner = stepper.step

        def step(ids):
            counted.append(1)
            return inner(ids)

        stepper.step = step
        return stepper

    sampler.make_stepper = counting
    return counted


def bench_sampling(model: str) -> None:
    options = WriteOptions(takes=4, pages=5.0, seed=1, device="cpu", model=model)
    write_takes(DEFAULT_BRIEF, replace(options, takes=1, pages=0.5))  # load + warm up
    counted = count_steps()
    ours, plain, first = [], [], None
    for _ in range(2):
        counted.clear()
        start = time.perf_counter()
        takes = write_takes(DEFAULT_BRIEF, options)
        ours.append(time.perf_counter() - start)
        first = first or [t.fountain for t in takes]
        steps = len(counted)
        with sampler.one_thread("cpu"):  # the plain loop at its best too (see one_thread)
            plain.append(plain_sampling(load_checkpoint(resolve_model(model)).model, 4, steps))
    same = first == [t.fountain for t in takes]
    chars = sum(len(t.fountain) for t in takes)
    print(f"sampling, {resolve_model(model).name}, 4 takes x 5 pages ({steps} steps, {chars:,} chars of Fountain, "
          f"both on one thread):")
    print(f"  plain loop       {min(plain):6.2f} s")
    print(f"  write_takes      {min(ours):6.2f} s   ratio {min(plain) / min(ours):.2f}x the plain loop "
          f"(whole takes: weaving, parsing, checks included)")
    print(f"  same seed, same takes: {'yes' if same else 'NO'}")


# ------------------------------------------------------------------ 2. training throughput

class PlainTrainer:
    """The plainest training loop (nn.LSTM, Adam, fp32, no clipping or schedule), one step per call, timed."""

    def __init__(self, config: ModelConfig, ids, batch: int, seq_len: int, lr: float = 2e-3):
        torch.manual_seed(SEED)
        self.model = CharLSTM(config)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.streams, self.seq_len = Streams(ids, batch, seq_len, SEED), seq_len
        self.state, self.steps, self.elapsed = None, 0, 0.0

    def step(self) -> float:
        start = time.perf_counter()
        self.model.train()
        x, y = self.streams.batch("cpu")
        if self.streams.offset == self.seq_len:
            self.state = None
        logits, state = self.model(x, None if self.state is None else tuple(s.detach() for s in self.state))
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.state, self.steps = state, self.steps + 1
        self.elapsed += time.perf_counter() - start
        return loss.item()


def engine_trainer(config: TrainConfig, ids, vocab_size: int) -> Trainer:
    torch.manual_seed(config.seed)
    model = CharLSTM(model_config(config, vocab_size))
    return Trainer(model, config, Streams(ids, config.batch, config.seq_len, config.seed), "cpu")


def interleave(trainers: dict, until, by_time: bool = False) -> None:
    """Step the trainers in turn until ``until(trainer)`` for each, so that load on the machine falls on all
    alike: round robin, or (``by_time``) always the one that has had the least time so far."""
    while True:
        active = [t for t in trainers.values() if not until(t)]
        if not active:
            return
        for t in ([min(active, key=lambda t: t.elapsed)] if by_time else active):
            t.step()


def bench_training(data, steps: int) -> None:
    config = TrainConfig.preset_defaults("small", device="cpu")
    ours = engine_trainer(config, data.train, len(data.vocab))
    plain = PlainTrainer(ours.model.config, data.train, config.batch, config.seq_len)
    for t in (ours, plain):  # warm up (allocator, oneDNN primitives)
        t.step()
        t.steps, t.elapsed = 0, 0.0
    interleave({"plain": plain, "ours": ours}, lambda t: t.steps >= steps)
    rate = {n: t.steps * config.batch * config.seq_len / t.elapsed for n, t in (("plain", plain), ("ours", ours))}
    print(f"training, small preset ({steps} interleaved steps each, batch {config.batch} x {config.seq_len}):")
    print(f"  plain loop       {rate['plain']:10,.0f} chars/s (fp32)")
    print(f"  engine Trainer   {rate['ours']:10,.0f} chars/s   ratio {rate['ours'] / rate['plain']:.2f}x "
          f"(mixed precision: {ours.dtype or 'none'}; clipping, AdamW, schedule included)")


# ------------------------------------------------------------------ 3. learning per minute

def bench_budget(data, held_ids, minutes: float) -> None:
    config = TrainConfig.preset_defaults("base", minutes=minutes, device="cpu", seed=SEED)
    ours = engine_trainer(config, data.train, len(data.vocab))
    plain = PlainTrainer(ModelConfig(vocab_size=len(data.vocab), embed=64, hidden=256, layers=2, dropout=0.0),
                         data.train, 32, 128)
    budget = 60.0 * minutes
    interleave({"plain": plain, "ours": ours}, lambda t: t.elapsed >= budget, by_time=True)
    plain_bpc, ours_bpc = evaluate(plain.model, held_ids), evaluate(ours.model, held_ids)
    print(f"learning per minute: {minutes:g} min of each one's own steps on {len(data.train):,} chars, "
          f"held-out {HELD_OUT.name} ({len(held_ids):,} chars):")
    print(f"  plain 2x256 LSTM (fp32, Adam 2e-3)     {plain.steps:5d} steps   {plain_bpc:.3f} bits/char")
    print(f"  engine recipe ({_recipe(config, ours)})   {ours.steps:5d} steps   {ours_bpc:.3f} bits/char "
          f"({ours_bpc - plain_bpc:+.3f})")


def _recipe(config: TrainConfig, trainer: Trainer) -> str:
    m = trainer.model.config
    return (f"{m.layers}x{m.hidden}, {config.batch}x{config.seq_len}, dropout {m.dropout:g}, "
            f"{str(trainer.dtype or 'fp32').replace('torch.', '')}, AdamW {config.lr:g} cosine over the budget")


# ------------------------------------------------------------------ 4. shipped models

def bench_shipped(compare: list[str]) -> None:
    """Each shipped model (and each ``compare`` checkpoint) on the held-out play and science-fiction script."""
    held = [(f.name, normalise(read_document(f))) for f in (HELD_OUT, HELD_OUT_SCIFI) if f.is_file()]
    for path in [resolve_model(name) for name in SHIPPED_MODELS] + [Path(c) for c in compare]:
        if not path.is_file():
            print(f"  (no {path})")
            continue
        ckpt = load_checkpoint(path)
        scores = []
        for name, text in held:
            ids = encode(text, ckpt.vocab)
            scores.append(f"{evaluate(ckpt.model, ids):.3f} on {name} ({float((ids == 0).mean()):.2%} unknown)")
        print(f"shipped {path.name}: bits/char " + ", ".join(scores) + f"; its own validation {ckpt.val_bpc:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="time budget of each trainer in part 3")
    parser.add_argument("--train-steps", type=int, default=20, help="interleaved steps of each loop in part 2")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--model", default="screenplay", help="model for part 1: a shipped name or a checkpoint")
    parser.add_argument("--parts", default="1,2,3,4", help="which parts to run, e.g. 1,4 (3 takes 2 x --minutes)")
    parser.add_argument("--compare", nargs="+", default=[], metavar="CKPT",
                        help="part 4: also score these checkpoints on the held-out scripts")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    if args.threads:
        torch.set_num_threads(args.threads)
    if "1" in parts:
        bench_sampling(args.model)
    if "4" in parts:
        bench_shipped(args.compare)
    if not HELD_OUT.is_file():
        print(f"(no {SHARED}: the training parts and the held-out play skipped)")
        return
    held_text = normalise(read_document(HELD_OUT))
    if parts & {"2", "3"}:
        files = [f for f in sorted((SHARED / "plays_fountain").glob("*.fountain")) if f != HELD_OUT]
        data = load_corpus(files + [SHARED / "tinyshakespeare.txt"], 0.0, ROOT / "data" / "cache" / "bench")
        if "2" in parts:
            bench_training(data, args.train_steps)
        if "3" in parts:
            bench_budget(data, encode(held_text, data.vocab), args.minutes)


if __name__ == "__main__":
    main()
