"""Writer benchmark (printed, not asserted):

1. training throughput of engine.screenplay.train against a plain reference loop (same model, same batches)
   in the same process;
2. sampling time for 4 takes x 5 pages with the shipped checkpoint;
3. validation bits per char of the shipped checkpoint on ../shared/data/corpus plays it never saw.

    python bench/bench_writer.py [--steps 40] [--threads N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.brief import DEFAULT_BRIEF  # noqa: E402
from engine.screenplay.checkpoint import load_checkpoint  # noqa: E402
from engine.screenplay.corpus import default_corpus, encode, load_corpus, normalise, read_document  # noqa: E402
from engine.screenplay.model import PRESETS, CharLSTM  # noqa: E402
from engine.screenplay.train import Streams, TrainConfig, evaluate, train  # noqa: E402
from engine.screenplay.writer import WriteOptions, default_checkpoint, write_takes  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "corpus"


def reference_loop(ids, vocab_size: int, config: TrainConfig) -> float:
    """The plainest training loop: nn.LSTM, Adam, the same windows; chars/s."""
    torch.manual_seed(config.seed)
    model = CharLSTM(replace(PRESETS[config.preset], vocab_size=vocab_size))
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    streams = Streams(ids, config.batch, config.seq_len, config.seed)
    state, start = None, time.perf_counter()
    for _ in range(config.steps):
        x, y = streams.batch("cpu")
        logits, state = model(x, None if state is None else tuple(s.detach() for s in state))
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return config.steps * config.batch * config.seq_len / (time.perf_counter() - start)


def bench_training(steps: int) -> None:
    plays = [p for p in default_corpus() if p.stem in {"hamlet", "macbeth", "the-tempest"}]
    config = TrainConfig.preset_defaults("small", steps=steps, eval_every=10**9, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        data = load_corpus(plays, cache_dir=Path(tmp))
        ref = reference_loop(data.train, len(data.vocab), config)
        ours = train(plays, config, Path(tmp) / "bench.pt").chars_per_s
    print(f"training, small preset ({steps} steps, batch {config.batch} x {config.seq_len}, CPU, "
          f"{torch.get_num_threads()} thread(s)):")
    print(f"  reference loop  {ref:10,.0f} chars/s")
    print(f"  engine train()  {ours:10,.0f} chars/s   ratio {ours / ref:.2f}x "
          "(includes clipping, LR schedule, checkpoints, one validation pass)")


def bench_sampling() -> None:
    path = default_checkpoint()
    write_takes(DEFAULT_BRIEF, WriteOptions(takes=1, pages=0.5, seed=0, device="cpu"))  # load + warm up
    start = time.perf_counter()
    takes = write_takes(DEFAULT_BRIEF, WriteOptions(takes=4, pages=5.0, seed=1, device="cpu"))
    took = time.perf_counter() - start
    chars = sum(len(t.fountain) for t in takes)
    print(f"sampling, {path.name}: 4 takes x 5 pages in {took:.1f} s ({chars / took:,.0f} chars/s of Fountain), "
          f"pages {[t.pages for t in takes]}")


def bench_bpc() -> None:
    ckpt = load_checkpoint(default_checkpoint())
    print(f"shipped checkpoint: step {ckpt.step}, its own validation {ckpt.val_bpc:.3f} bits/char "
          f"(Shakespeare, held-out tail of each play)")
    if not SHARED.is_dir():
        print(f"  (no {SHARED}: held-out bpc skipped)")
        return
    groups = {"held-out plays (Ibsen, Wilde, Rostand), Fountain": sorted((SHARED / "plays_fountain").glob("*")),
              "held-out plays, plain text": sorted((SHARED / "plays_plaintext").glob("*")),
              "tinyshakespeare (same author as training; another edition)": [SHARED / "tinyshakespeare.txt"]}
    for name, files in groups.items():
        text = "".join(normalise(read_document(f)) for f in files if f.is_file())
        ids = encode(text, ckpt.vocab)
        unknown = float((ids == 0).mean()) if len(ids) else 0.0
        bpc = evaluate(ckpt.model, ids, "cpu", max_chars=400_000)
        print(f"  {name}: {bpc:.3f} bits/char over {min(len(ids), 400_000):,} chars ({unknown:.2%} unknown symbols)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bench_training(args.steps)
    bench_sampling()
    bench_bpc()


if __name__ == "__main__":
    main()
