"""Checkpoint files, shared by the writer and the face models: an atomic save (tmp + os.replace, so a
killed process leaves the previous file, never a torn one) and a checked load of a payload of a given kind."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from engine.errors import ModelError


def save_atomic(payload: dict, path: Path, what: str) -> Path:
    """``torch.save`` to ``path`` atomically; ModelError ("cannot save {what} to ...") on a disk or folder problem."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as e:  # a folder in the way, a full disk, no permission (torch: RuntimeError)
        tmp.unlink(missing_ok=True)
        raise ModelError(f"cannot save {what} to {path}: {getattr(e, 'strerror', None) or e}") from None
    return path


def load_payload(path: Path, kind: str, what: str, readable: str | None = None) -> dict:
    """The dict saved at ``path`` whose "kind" is ``kind``; ModelError names a missing, torn or foreign file
    (``readable``: how the torn-file message names it, default ``what``)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no {what} checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a torn or foreign file
        name = what if readable is None else readable
        raise ModelError(f"{path} is not a readable {name + ' ' if name else ''}checkpoint ({type(e).__name__})") from None
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise ModelError(f"{path} is not a Benjamin {what} checkpoint")
    return payload
