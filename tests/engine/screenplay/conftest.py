"""A tiny writer model, trained once per test session on two of the bundled plays (a couple of seconds)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.screenplay.corpus import default_corpus
from engine.screenplay.train import TrainConfig, train


def small_corpus() -> list[Path]:
    plays = default_corpus()
    return [p for p in plays if p.stem in {"macbeth", "twelfth-night"}]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("writer") / "tiny.pt"
    train(small_corpus(), TrainConfig.preset_defaults("tiny", steps=120, device="cpu"), out)
    return out
