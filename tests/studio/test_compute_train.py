"""A "train" job's inputs reach the trainer: a time budget (/train start minutes) is a time budget."""
from __future__ import annotations

from engine.progress import null_progress
from engine.screenplay.checkpoint import load_checkpoint
from engine.screenplay.corpus import default_corpus
from studio.compute import compute


def test_a_train_job_with_minutes_trains_for_that_long(tmp_path):
    play = next(p for p in default_corpus() if p.stem == "macbeth")
    inputs = {"corpus": [str(play)], "preset": "tiny", "steps": None, "minutes": 0.01, "device": "cpu"}
    out = compute("train", inputs, tmp_path, null_progress)
    ckpt = load_checkpoint(out["checkpoint"])
    assert ckpt.train_config["minutes"] == 0.01 and ckpt.train_config["steps"] == 10**9  # the clock decided
    assert 0 < out["steps"] == ckpt.step
