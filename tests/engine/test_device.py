"""pick_device: one clear, user-facing error for every caller (writer, trainer, bot jobs)."""
from __future__ import annotations

import pytest
import torch

from engine.device import amp_dtype, pick_device
from engine.errors import EngineError


def test_cpu_and_auto():
    assert pick_device("CPU") == "cpu"
    assert pick_device(None) == pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert amp_dtype("cpu") is None
    assert amp_dtype("cuda") is torch.float16  # what training's GradScaler is paired with


def test_unknown_device_is_an_engine_error():
    with pytest.raises(EngineError, match="auto, cpu or cuda"):
        pick_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_an_engine_error():
    with pytest.raises(EngineError, match="no CUDA device"):
        pick_device("cuda")
