"""A tiny writer model, trained once per test session on two of the bundled plays (a couple of seconds)."""
from __future__ import annotations

from pathlib import Path

import pytest
from writer_fixtures import small_corpus

from engine.screenplay.train import TrainConfig, train


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("writer") / "tiny.pt"
    train(small_corpus(), TrainConfig.preset_defaults("tiny", steps=120, device="cpu"), out)
    return out
