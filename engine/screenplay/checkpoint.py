"""Checkpoints carry everything needed to sample or resume: weights, model config, vocabulary, step,
validation bits per char, optimiser state (for resume) and the training config (char-rnn's habit)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.errors import ModelError
from engine.torch_files import load_payload, save_atomic
from engine.screenplay.model import CharLSTM, ModelConfig

log = logging.getLogger(__name__)
KIND = "benjamin-char-lstm"


@dataclass
class Checkpoint:
    model: CharLSTM
    vocab: str
    step: int = 0
    val_bpc: float | None = None
    train_config: dict = field(default_factory=dict)
    optimizer: dict | None = None  # AdamW state, only in resumable checkpoints
    rng: dict | None = None  # sampler positions for an exact resume
    corpus: str | None = None  # corpus fingerprint


def save_checkpoint(ckpt: Checkpoint, path: Path, half: bool = False) -> Path:
    """Atomic write (tmp + os.replace): a killed process never leaves a torn file. ``half`` stores fp16 weights."""
    path = Path(path)
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu()
             for k, v in ckpt.model.state_dict().items()}
    payload = {"kind": KIND, "model": state, "config": ckpt.model.config.to_dict(), "vocab": ckpt.vocab,
               "step": ckpt.step, "val_bpc": ckpt.val_bpc, "train_config": ckpt.train_config,
               "optimizer": ckpt.optimizer, "rng": ckpt.rng, "corpus": ckpt.corpus}
    return save_atomic(payload, path, "the checkpoint")


def load_checkpoint(path: Path, device: str = "cpu") -> Checkpoint:
    """Load and check a checkpoint; ModelError says what is wrong with a missing, corrupt or foreign file."""
    path = Path(path)
    payload = load_payload(path, KIND, "writer", readable="")
    try:
        config = ModelConfig(**payload["config"])
        vocab = str(payload["vocab"])
        if len(vocab) != config.vocab_size:
            raise ModelError(f"{path}: vocabulary has {len(vocab)} symbols but the model expects {config.vocab_size}")
        model = CharLSTM(config)
        model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    except ModelError:
        raise
    except (KeyError, TypeError, RuntimeError) as e:
        raise ModelError(f"{path} does not match the writer model ({type(e).__name__}: {str(e)[:120]})") from None
    model.to(device).eval()
    return Checkpoint(model, vocab, int(payload.get("step", 0)), payload.get("val_bpc"),
                      dict(payload.get("train_config") or {}), payload.get("optimizer"), payload.get("rng"),
                      payload.get("corpus"))


def check_vocab(ckpt_vocab: str, needed: str, where: str,
                hint: str = "it was trained on another vocabulary: train a new model instead of resuming") -> None:
    """Raise ModelError when ``needed`` characters are missing from the checkpoint's vocabulary."""
    missing = sorted(set(needed) - set(ckpt_vocab))
    if missing:
        shown = "".join(missing[:20]).replace("\n", "\\n")
        raise ModelError(f"{where} uses characters the checkpoint's vocabulary lacks ({shown!r}); {hint}")
