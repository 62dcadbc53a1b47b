"""Training: AdamW, gradient clipping, truncated BPTT over contiguous streams, validation in bits per char,
CUDA with AMP when present, periodic atomic checkpoints that resume exactly after a kill."""
from __future__ import annotations

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
from engine.progress import EtaClock, Progress, ProgressFn, null_progress
from engine.screenplay.checkpoint import Checkpoint, check_vocab, load_checkpoint, save_checkpoint
from engine.screenplay.corpus import Corpus, load_corpus
from engine.screenplay.model import PRESETS, CharLSTM, detach

log = logging.getLogger(__name__)
LN2 = math.log(2.0)


@dataclass(frozen=True)
class TrainConfig:
    preset: str = "small"  # model size: tiny | small | large (engine.screenplay.model.PRESETS)
    steps: int = 2000  # optimiser steps in total (a resumed run continues up to this)
    batch: int = 32  # parallel streams
    seq_len: int = 128  # truncated-BPTT window in characters
    lr: float = 3e-3  # AdamW peak learning rate (cosine decay to lr/10 after warmup)
    warmup: int = 50  # linear warmup steps
    weight_decay: float = 0.01
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
                "small": dict(batch=32, seq_len=128),
                "large": dict(batch=128, seq_len=256, lr=2e-3, eval_every=500)}
        if preset not in base:
            raise ValueError(f"preset must be one of {', '.join(base)}, not {preset!r}")
        return cls(preset=preset, **{**base[preset], **{k: v for k, v in overrides.items() if v is not None}})


@dataclass(frozen=True)
class TrainResult:
    checkpoint: Path
    val_bpc: float
    steps: int
    chars_per_s: float = 0.0
    parameters: int = 0


def train(corpus: list[Path], config: TrainConfig, out: Path, resume: bool = False,
          on_progress: ProgressFn = null_progress) -> TrainResult:
    """Train (or resume) a character LSTM on ``corpus`` and write the checkpoint to ``out``."""
    out = Path(out)
    device = pick_device(config.device)
    data = load_corpus(corpus, config.val_fraction, config.cache_dir or out.parent / ".cache")
    ckpt = _start(data, config, out, resume, device)
    model = ckpt.model
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if ckpt.optimizer:
        opt.load_state_dict(ckpt.optimizer)
    streams = Streams(data.train, config.batch, config.seq_len, config.seed)
    state, val_bpc = _restore(ckpt, streams, device), ckpt.val_bpc
    clock, last_save = EtaClock(), time.monotonic()
    first, seen = ckpt.step, 0
    ctx = _autocast(device)
    scaler = torch.amp.GradScaler("cuda", enabled=ctx is not None)
    try:
        for step in range(ckpt.step, config.steps):
            model.train()
            x, y = streams.batch(device)
            if streams.offset == config.seq_len:  # streams wrapped: start the hidden state afresh
                state = None
            for g in opt.param_groups:
                g["lr"] = _lr(step, config)
            with ctx or _null():
                logits, state = model(x, detach(state))
                loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            scaler.step(opt)
            scaler.update()
            seen += x.numel()
            ckpt.step = step + 1
            done = ckpt.step == config.steps
            if ckpt.step % config.eval_every == 0 or done:
                val_bpc = evaluate(model, data.val, device, config.eval_chars)
                log.info("step %d: train %.3f bpc, val %.3f bpc", ckpt.step, loss.item() / LN2, val_bpc)
            if ckpt.step % config.eval_every == 0 or done or time.monotonic() - last_save > config.save_every_s:
                _save(ckpt, model, opt, streams, val_bpc, data, config, out, half=False, state=state)
                last_save = time.monotonic()
                on_progress(Progress("train", ckpt.step / config.steps, f"checkpoint saved at step {ckpt.step}",
                                     saved=f"step {ckpt.step}"))
            _report(on_progress, clock, ckpt.step, first, config, loss.item(), val_bpc, seen)
    except Cancelled:
        _save(ckpt, model, opt, streams, val_bpc, data, config, out, half=False, state=state)
        raise
    if val_bpc is None:
        val_bpc = evaluate(model, data.val, device, config.eval_chars)
    _save(ckpt, model, opt, streams, val_bpc, data, config, out, half=config.half_weights)
    rate = seen / max(1e-9, time.monotonic() - clock.start)
    return TrainResult(out, float(val_bpc), ckpt.step, rate, model.parameter_count())


def _start(data: Corpus, config: TrainConfig, out: Path, resume: bool, device: str) -> Checkpoint:
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
    if config.preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {config.preset!r}")
    torch.manual_seed(config.seed)
    model = CharLSTM(replace(PRESETS[config.preset], vocab_size=len(data.vocab))).to(device)
    return Checkpoint(model, data.vocab, 0, None, _jsonable(config), corpus=data.fingerprint)


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
        with _autocast(device) or _null():
            logits, state = model(x, state)
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    return total / count / LN2


def _lr(step: int, config: TrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
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


def _save(ckpt, model, opt, streams, val_bpc, data, config, out, half, state=None) -> None:
    ckpt.val_bpc = val_bpc
    ckpt.optimizer = None if half else opt.state_dict()
    ckpt.rng = {"offset": streams.offset, "torch": torch.get_rng_state(),
                "hidden": None if half or state is None else [s.detach().cpu() for s in state]}
    ckpt.train_config = _jsonable(config)
    save_checkpoint(ckpt, out, half=half)


def _report(on_progress, clock, step, first, config, loss, val_bpc, seen) -> None:
    fraction = step / config.steps
    elapsed = max(1e-9, time.monotonic() - clock.start)
    left = (config.steps - step) / max(1e-9, (step - first) / elapsed) if step > first else None
    val = f", val {val_bpc:.3f} bpc" if val_bpc is not None else ""
    on_progress(Progress("train", fraction, f"step {step}/{config.steps}: loss {loss:.3f} "
                         f"({loss / LN2:.2f} bpc){val}, {seen / elapsed:,.0f} chars/s", left))


def _jsonable(config: TrainConfig) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}


def _autocast(device: str):
    """Autocast at engine.device's AMP dtype (fp16 on CUDA), or None on CPU."""
    dtype = amp_dtype(device)
    return torch.autocast("cuda", dtype=dtype) if dtype is not None else None


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
