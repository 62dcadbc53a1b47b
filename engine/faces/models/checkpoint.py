"""A learned member's checkpoint carries everything needed to convert or resume: config, the weights of the
encoder, both decoders and the discriminator, optimiser and grad-scaler state, step, loss history, the two
identities' names and the cast member's mean embedding (what the judge measures identity against)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.errors import ModelError
from engine.torch_files import load_payload, save_atomic
from engine.faces.models.config import FaceModelConfig
from engine.faces.models.nets import FaceNets

log = logging.getLogger(__name__)
KIND = "benjamin-face-member"


@dataclass
class MemberCheckpoint:
    config: FaceModelConfig
    nets: FaceNets
    actor: str  # identity A: whose faces the member takes in (the footage actor)
    cast: str  # identity B: whose face it paints (the cast member)
    step: int = 0
    losses: list[dict] = field(default_factory=list)  # {"step", "l1", "dssim", "mask", "adv", "d"} every log_every
    optimizers: dict | None = None  # {"g", "d", "scaler"} state dicts, for resume
    cast_embedding: np.ndarray | None = None  # (128,) the cast member's mean identity embedding
    its_per_s: float | None = None  # training speed of the run that wrote it


def save_member(ckpt: MemberCheckpoint, path: Path) -> Path:
    """Atomic write (tmp + os.replace): a killed process leaves the previous checkpoint, never a torn one."""
    path = Path(path)
    payload = {
        "kind": KIND, "config": ckpt.config.to_dict(), "actor": ckpt.actor, "cast": ckpt.cast, "step": ckpt.step,
        "losses": ckpt.losses, "optimizers": ckpt.optimizers, "its_per_s": ckpt.its_per_s,
        "cast_embedding": None if ckpt.cast_embedding is None else torch.as_tensor(ckpt.cast_embedding).float(),
        **{name: {k: v.detach().cpu() for k, v in getattr(ckpt.nets, name).state_dict().items()}
           for name in ("encoder", "decoder_a", "decoder_b", "discriminator")},
    }
    return save_atomic(payload, path, "the face model")


def load_member(path: Path, device: str = "cpu") -> MemberCheckpoint:
    """Load and check a member checkpoint; ModelError says what is wrong with a missing, torn or foreign file."""
    path = Path(path)
    payload = load_payload(path, KIND, "face model")
    try:
        config = FaceModelConfig.from_dict(payload["config"])
        nets = FaceNets(config)
        for name in ("encoder", "decoder_a", "decoder_b", "discriminator"):
            getattr(nets, name).load_state_dict(payload[name])
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ModelError(f"{path} does not match the face model ({type(e).__name__}: {str(e)[:120]})") from None
    emb = payload.get("cast_embedding")
    return MemberCheckpoint(config, nets.to(device), str(payload["actor"]), str(payload["cast"]),
                            int(payload.get("step", 0)), list(payload.get("losses") or []), payload.get("optimizers"),
                            None if emb is None else emb.numpy().astype(np.float32), payload.get("its_per_s"))
