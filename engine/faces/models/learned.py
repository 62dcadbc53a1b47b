"""A learned member of the ensemble: a trained checkpoint (engine.faces.models.train) behind the Member interface.

convert: the actor's 256 px aligned crops -> the shared encoder -> the cast member's decoder -> the face and its
predicted mask resized back to 256 px, with the discriminator's realism score. Batched, inference mode, fp16
autocast on CUDA.
"""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.device import pick_device
from engine.errors import FaceError
from engine.faces.models._base import AlignedBatch, Generated
from engine.faces.models.augment import to_tensor
from engine.faces.models.checkpoint import load_member

log = logging.getLogger(__name__)


class LearnedMember:
    """Swaps the checkpoint's actor (identity A) for its cast member (identity B)."""

    def __init__(self, checkpoint: Path, device: str = "auto", chunk: int = 32, name: str | None = None):
        self.path = Path(checkpoint)
        self.device = pick_device(device)
        ckpt = load_member(self.path, self.device)
        self.config, self.nets = ckpt.config, ckpt.nets.eval()
        self.actor, self.cast, self.step = ckpt.actor, ckpt.cast, ckpt.step
        self.cast_embedding = ckpt.cast_embedding  # (128,) or None
        self.chunk = max(1, chunk)
        self.name = name or f"{self.config.preset}-s{self.config.seed}-{self.path.stem}"
        self.amp = self.config.amp and self.device == "cuda"

    def convert(self, batch: AlignedBatch) -> Generated:
        faces = np.asarray(batch.faces)
        if faces.ndim != 4 or faces.shape[-1] != 3 or faces.shape[1] != faces.shape[2]:
            raise FaceError(f"a member converts (B, S, S, 3) aligned crops, not {faces.shape}")
        size, out_faces, out_masks, realism = faces.shape[1], [], [], []
        with torch.inference_mode(), self._autocast():
            for i in range(0, len(faces), self.chunk):
                x = to_tensor(faces[i: i + self.chunk], self.config.resolution, self.device)  # (b, 3, R, R)
                rgb, mask = self.nets.swap(x)
                realism.append(self.nets.realism(rgb).cpu())
                rgb = F.interpolate(rgb, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)
                mask = F.interpolate(mask, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
                out_faces.append((rgb.permute(0, 2, 3, 1) * 255 + 0.5).to(torch.uint8).cpu())
                out_masks.append(mask[:, 0].float().cpu())
        if not out_faces:
            empty = np.zeros((0, size, size), np.float32)
            return Generated(np.zeros((0, size, size, 3), np.uint8), empty, self.name, np.zeros(0, np.float32))
        return Generated(torch.cat(out_faces).numpy(), torch.cat(out_masks).numpy().astype(np.float32),
                         self.name, torch.cat(realism).numpy().astype(np.float32))

    def realism_of(self, faces: np.ndarray) -> np.ndarray:
        """(B,) this member's discriminator on any (B, S, S, 3) faces: how much each looks like a real photo of
        the cast member. The ensemble's judge asks every discriminator about every member's faces, the geometric
        member's (which has none of its own) included."""
        out = []
        with torch.inference_mode(), self._autocast():
            for i in range(0, len(faces), self.chunk):
                out.append(self.nets.realism(to_tensor(np.asarray(faces[i: i + self.chunk]), self.config.resolution,
                                                       self.device)).float().cpu())
        return torch.cat(out).numpy().astype(np.float32) if out else np.zeros(0, np.float32)

    def _autocast(self):
        """fp16 autocast on CUDA (when the config asks for AMP), else nothing."""
        return torch.autocast("cuda", dtype=torch.float16) if self.amp else contextlib.nullcontext()
