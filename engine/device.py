"""Pick the torch device: CUDA (with AMP) when present, CPU otherwise."""
from __future__ import annotations

import contextlib
import logging

from engine.errors import ModelError

log = logging.getLogger(__name__)


def pick_device(preference: str = "auto") -> str:
    """Return "cuda" or "cpu". ``preference`` is auto|cpu|cuda (BENJAMIN_DEVICE).

    ModelError (a user-facing EngineError, for every caller alike) when the preference is unknown or
    names a CUDA device torch cannot see."""
    import torch

    preference = (preference or "auto").lower()
    if preference not in {"auto", "cpu", "cuda"}:
        raise ModelError(f"device must be auto, cpu or cuda, not {preference!r}")
    if preference == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if preference == "cuda":
        raise ModelError("BENJAMIN_DEVICE=cuda but torch sees no CUDA device")
    return "cpu"


def amp_dtype(device: str):
    """The autocast dtype for ``device``: fp16 on CUDA (cuDNN's LSTM kernels take fp16 everywhere, bf16 only
    on some versions; training pairs it with a GradScaler), else None (no AMP)."""
    import torch

    return torch.float16 if device == "cuda" else None


@contextlib.contextmanager
def one_thread(device: str):
    """Run the block on one intra-op torch thread on CPU (restored after). For small ops (a sampling step on
    (takes, 4H) tensors, a 32-64 px face net) spreading work over threads only adds waits, and on a busy machine
    a second thread that is not scheduled stalls every op (measured: writer steps 25-40x slower on 2 loaded
    cores; the tiny face net trains at 27.8 it/s on 1 thread against 13.9 on 2 on a quiet machine)."""
    import torch

    before = torch.get_num_threads()
    if device != "cpu" or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
