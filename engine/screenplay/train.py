"""Training: AdamW, gradient clipping, truncated BPTT over contiguous streams, validation in bits per char,
mixed precision (bf16 on CPUs that have it, fp16 on CUDA), a step or time budget that the learning-rate
schedule follows, periodic atomic checkpoints that resume exactly after a kill."""
from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.device import amp_dtype, pick_device
from engine.errors import Cancelled, CorpusError
from engine.progress import Progress, ProgressFn, null_progress
from engine.screenplay.checkpoint import Checkpoint, check_vocab, load_checkpoint, save_checkpoint
from engine.screenplay.corpus import Corpus, load_corpus
from engine.screenplay.model import PRESETS, CharLSTM, ModelConfig, detach

log = logging.getLogger(__name__)
LN2 = math.log(2.0)


@dataclass(frozen=True)
class TrainConfig:
    preset: str = "small"  # model size: tiny | base | small | large (engine.screenplay.model.PRESETS)
    steps: int = 2000  # optimiser steps in total (a resumed run continues up to this)
    minutes: float | None = None  # time budget: stop after this long (steps is then only a ceiling)
    batch: int = 32  # parallel streams
    seq_len: int = 128  # truncated-BPTT window in characters
    lr: float = 3e-3  # AdamW peak learning rate (cosine decay to lr/10 after warmup)
    warmup: int = 50  # linear warmup steps
    weight_decay: float = 0.01
    dropout: float | None = None  # between layers and before the head; None = the preset's
    amp: bool = True  # mixed precision: bf16 autocast on CPUs with native bf16 (AVX512-BF16/AMX), fp16 on CUDA
    clip: float = 1.0  # gradient norm clip
    val_fraction: float = 0.05  # the tail of each document held out for validation
    eval_every: int = 200  # steps between validation passes (and checkpoints)
    eval_chars: int = 100_000  # validation characters per pass (at most)
    save_every_s: float = 120.0  # also checkpoint at least this often (seconds)
    seed: int = 1337
    device: str = "auto"  # auto | cpu | cuda
    half_weights: bool = False  # store the final checkpoint in fp16 (half the size)
    cache_dir: Path | None = None  # encoded-corpus cache; default: beside the checkpoint

    @classmethod
    def preset_defaults(cls, preset: str, **overrides) -> "TrainConfig":
        base = {"tiny": dict(batch=16, seq_len=64, steps=200, eval_every=50, eval_chars=20_000, lr=1e-2),
                # base: measured best of four recipes for 5 minutes on the shared corpus (see bench_writer.py)
                "base": dict(batch=32, seq_len=64, lr=6e-3, dropout=0.1),
                "small": dict(batch=32, seq_len=128),
                "large": dict(batch=128, seq_len=256, lr=2e-3, eval_every=500)}
        if preset not in base:
            raise ValueError(f"preset must be one of {', '.join(base)}, not {preset!r}")
        chosen = {**base[preset], **{k: v for k, v in overrides.items() if v is not None}}
        if chosen.get("minutes") is not None and overrides.get("steps") is None:
            chosen["steps"] = 10**9  # a time budget alone: the clock decides
        return cls(preset=preset, **chosen)


@dataclass(frozen=True)
class TrainResult:
    checkpoint: Path
    val_bpc: float
    steps: int
    chars_per_s: float = 0.0
    parameters: int = 0


def train(corpus: list[Path], config: TrainConfig, out: Path, resume: bool = False,
          on_progress: ProgressFn = null_progress, init: Path | None = None) -> TrainResult:
    """Train (or resume) a character LSTM on ``corpus`` and write the checkpoint to ``out``. ``init``: start
    from that checkpoint's weights (fine-tuning: its model and vocabulary, a fresh optimiser and schedule)."""
    out = Path(out)
    device = pick_device(config.device)
    data = load_corpus(corpus, config.val_fraction, config.cache_dir or out.parent / ".cache")
    ckpt = _start(data, config, out, resume, device, init)
    streams = Streams(data.train, config.batch, config.seq_len, config.seed)
    hidden = _restore(ckpt, streams, device)
    elapsed = float((ckpt.rng or {}).get("elapsed", 0.0))
    trainer = Trainer(ckpt.model, config, streams, device, ckpt.step, elapsed, ckpt.optimizer, hidden)
    val_bpc, last_save, first, seen = ckpt.val_bpc, time.monotonic(), ckpt.step, 0
    try:
        while not trainer.finished:
            loss = trainer.step()
            seen += config.batch * config.seq_len
            ckpt.step = trainer.steps
            done, started = trainer.finished, time.perf_counter()
            if ckpt.step % config.eval_every == 0 or done:
                val_bpc = evaluate(ckpt.model, data.val, device, config.eval_chars)
                log.info("step %d: train %.3f bpc, val %.3f bpc", ckpt.step, loss / LN2, val_bpc)
            if ckpt.step % config.eval_every == 0 or done or time.monotonic() - last_save > config.save_every_s:
                _save(ckpt, trainer, streams, val_bpc, config, out, half=False)
                last_save = time.monotonic()
                on_progress(Progress("train", trainer.progress, f"checkpoint saved at step {ckpt.step}",
                                     saved=f"step {ckpt.step}"))
            trainer.elapsed += time.perf_counter() - started  # a time budget is wall-clock, evaluations included
            _report(on_progress, trainer, first, config, loss, val_bpc, seen)
    except Cancelled:
        _save(ckpt, trainer, streams, val_bpc, config, out, half=False)
        raise
    if val_bpc is None:
        val_bpc = evaluate(ckpt.model, data.val, device, config.eval_chars)
    _save(ckpt, trainer, streams, val_bpc, config, out, half=config.half_weights)
    rate = seen / max(1e-9, trainer.elapsed - elapsed)
    return TrainResult(out, float(val_bpc), ckpt.step, rate, ckpt.model.parameter_count())


class Trainer:
    """One optimiser step per call: the next window of every stream, mixed precision, clipping, the schedule.

    It times its own steps (``elapsed``), and the time budget and the schedule follow that clock, so two
    trainers interleaved in one process (the bench) each get the budget they were given."""

    def __init__(self, model: CharLSTM, config: TrainConfig, streams: "Streams", device: str, steps: int = 0,
                 elapsed: float = 0.0, optimizer: dict | None = None, hidden=None):
        self.model, self.config, self.streams, self.device = model, config, streams, device
        self.steps, self.elapsed, self.hidden = steps, elapsed, hidden
        self.opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        if optimizer:
            self.opt.load_state_dict(optimizer)
        self.dtype = train_dtype(device) if config.amp else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.dtype == torch.float16)

    @property
    def budget_s(self) -> float | None:
        return None if self.config.minutes is None else 60.0 * self.config.minutes

    @property
    def progress(self) -> float:
        """0..1: how far through its steps or its time budget (whichever is further)."""
        done = self.steps / max(1, self.config.steps)
        return min(1.0, max(done, self.elapsed / self.budget_s if self.budget_s else 0.0))

    @property
    def finished(self) -> bool:
        return self.steps >= self.config.steps or (self.budget_s is not None and self.elapsed >= self.budget_s)

    def step(self) -> float:
        """One optimiser step; the training loss (nats per char) of the window."""
        start = time.perf_counter()
        model, config = self.model, self.config
        model.train()
        x, y = self.streams.batch(self.device)
        if self.streams.offset == config.seq_len:  # streams wrapped: start the hidden state afresh
            self.hidden = None
        for g in self.opt.param_groups:
            g["lr"] = schedule(self.steps, self.progress, config)
        with _autocast(self.device, self.dtype):
            logits, state = model(x, detach(self.hidden))
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.hidden = tuple(s.detach().float() for s in state)
        self.steps += 1
        value = loss.item()
        self.elapsed += time.perf_counter() - start
        return value


def train_dtype(device: str):
    """Mixed-precision dtype for training on ``device``: fp16 on CUDA, bf16 on CPUs with native bf16
    arithmetic (elsewhere bf16 is emulated and slower than fp32), else None."""
    if device == "cuda":
        return amp_dtype(device)
    cpu = getattr(torch, "cpu", None)
    native = any(getattr(cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported",
                                                                    "_is_amx_tile_supported"))
    return torch.bfloat16 if native else None


def _start(data: Corpus, config: TrainConfig, out: Path, resume: bool, device: str,
           init: Path | None = None) -> Checkpoint:
    if resume and out.is_file():
        ckpt = load_checkpoint(out, device)
        check_vocab(ckpt.vocab, data.vocab, "this corpus")
        if ckpt.vocab != data.vocab:  # the corpus is covered by the checkpoint's vocabulary: re-encode with it
            data.train, data.val = _reencode(data, ckpt.vocab)
        if ckpt.optimizer is None:
            log.warning("%s has no optimiser state (a final fp16 export?); resuming with a fresh optimiser", out)
        log.info("resuming %s at step %d", out, ckpt.step)
        ckpt.model.train()
        return ckpt
    if init is not None:
        return _fine_tune_start(data, config, Path(init), device)
    if config.preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {config.preset!r}")
    torch.manual_seed(config.seed)
    model = CharLSTM(model_config(config, len(data.vocab))).to(device)
    return Checkpoint(model, data.vocab, 0, None, _jsonable(config), corpus=data.fingerprint)


def _fine_tune_start(data: Corpus, config: TrainConfig, init: Path, device: str) -> Checkpoint:
    """A fresh run (step 0, new optimiser) from ``init``'s weights, re-encoded to its vocabulary."""
    base = load_checkpoint(init, device)
    check_vocab(base.vocab, data.vocab, "this corpus",
                hint=f"{init} was trained on another vocabulary: train from scratch (no --init) instead")
    if base.vocab != data.vocab:
        data.train, data.val = _reencode(data, base.vocab)
        data.vocab = base.vocab
    torch.manual_seed(config.seed)
    model = base.model
    if config.dropout is not None and config.dropout != model.config.dropout:
        model = CharLSTM(replace(model.config, dropout=config.dropout)).to(device)
        model.load_state_dict(base.model.state_dict())
    model.train()
    log.info("fine-tuning %s (step %d, %.3f bpc) on %d training characters", init, base.step,
             base.val_bpc or float("nan"), len(data.train))
    return Checkpoint(model, base.vocab, 0, None, {**_jsonable(config), "init": str(init)}, corpus=data.fingerprint)


def model_config(config: TrainConfig, vocab_size: int) -> ModelConfig:
    """The preset's model for this vocabulary, with the training config's dropout when it sets one."""
    chosen = replace(PRESETS[config.preset], vocab_size=vocab_size)
    return chosen if config.dropout is None else replace(chosen, dropout=config.dropout)


def _reencode(data: Corpus, vocab: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.array([vocab.index(c) for c in data.vocab], dtype=np.uint8)
    return table[data.train], table[data.val]


class Streams:
    """``batch`` contiguous streams through the training text; each call yields the next (x, y) window."""

    def __init__(self, ids: np.ndarray, batch: int, seq_len: int, seed: int):
        length = (len(ids) - 1) // batch
        if length < seq_len + 1:
            raise CorpusError(f"the corpus is too small for {batch} streams of {seq_len} characters; "
                              "use a larger corpus or the tiny preset")
        rng = np.random.default_rng(seed)
        self.starts = rng.permutation(batch) * length  # shuffle which stream reads which part
        self.ids, self.length, self.seq_len, self.offset = torch.from_numpy(ids.astype(np.int64)), length, seq_len, 0

    def batch(self, device: str) -> tuple[torch.Tensor, torch.Tensor]:
        if self.offset + self.seq_len + 1 > self.length:
            self.offset = 0
        idx = torch.as_tensor(self.starts)[:, None] + self.offset + torch.arange(self.seq_len + 1)[None, :]
        self.offset += self.seq_len
        window = self.ids[idx]
        return window[:, :-1].to(device), window[:, 1:].to(device)


@torch.no_grad()
def evaluate(model: CharLSTM, ids: np.ndarray, device: str = "cpu", max_chars: int | None = None,
             streams: int = 16, seq_len: int = 256) -> float:
    """Validation loss in bits per character over (up to) ``max_chars`` of ``ids``, read as contiguous streams."""
    model.eval()
    ids = ids[: max_chars] if max_chars else ids
    length = (len(ids) - 1) // streams
    if length < 2:
        return float("nan")
    data = torch.from_numpy(ids[: streams * length + 1].astype(np.int64))
    x_all = data[:-1].view(streams, length)
    y_all = data[1:].view(streams, length)
    total, count, state = 0.0, 0, None
    for t in range(0, length, seq_len):
        x, y = x_all[:, t: t + seq_len].to(device), y_all[:, t: t + seq_len].to(device)
        with _autocast(device, amp_dtype(device)):
            logits, state = model(x, state)
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    return total / count / LN2


def schedule(step: int, progress: float, config: TrainConfig) -> float:
    """Learning rate: linear warmup over the first steps, then cosine decay to lr/10 as ``progress`` (of the
    step count or of the time budget) goes from 0 to 1."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _restore(ckpt: Checkpoint, streams: "Streams", device: str):
    """Put the stream position, hidden state and torch RNG back where the checkpoint left them."""
    if not ckpt.rng:
        return None
    streams.offset = int(ckpt.rng.get("offset", 0))
    if ckpt.rng.get("torch") is not None:
        torch.set_rng_state(ckpt.rng["torch"])
    hidden = ckpt.rng.get("hidden")
    # fp32 always: a CUDA AMP run saves an fp16 state, which CPU LSTMs refuse (autocast recasts it on CUDA)
    return tuple(h.to(device=device, dtype=torch.float32) for h in hidden) if hidden else None


def _save(ckpt, trainer: Trainer, streams, val_bpc, config, out, half) -> None:
    ckpt.val_bpc = val_bpc
    ckpt.optimizer = None if half else trainer.opt.state_dict()
    state = trainer.hidden
    ckpt.rng = {"offset": streams.offset, "torch": torch.get_rng_state(), "elapsed": trainer.elapsed,
                "hidden": None if half or state is None else [s.detach().cpu() for s in state]}
    ckpt.train_config = {**ckpt.train_config, **_jsonable(config)}
    save_checkpoint(ckpt, out, half=half)


def _report(on_progress, trainer: Trainer, first, config, loss, val_bpc, seen) -> None:
    fraction, step = trainer.progress, trainer.steps
    rate = seen / max(1e-9, trainer.elapsed)
    left = None
    if step > first:
        left = (trainer.budget_s - trainer.elapsed if trainer.budget_s and config.steps >= 10**9
                else (config.steps - step) * trainer.elapsed / step)
    total = f"/{config.steps}" if config.steps < 10**9 else f" of {config.minutes:g} min"
    val = f", val {val_bpc:.3f} bpc" if val_bpc is not None else ""
    on_progress(Progress("train", fraction, f"step {step}{total}: loss {loss:.3f} "
                         f"({loss / LN2:.2f} bpc){val}, {rate:,.0f} chars/s", max(0.0, left) if left else left))


def _jsonable(config: TrainConfig) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}


def _autocast(device: str, dtype):
    """Autocast to ``dtype`` on ``device``, or a no-op context when dtype is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast("cuda" if device == "cuda" else "cpu", dtype=dtype)
