"""Shared fixtures. Tests needing ../shared/data skip (saying why) where it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("BENJAMIN_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout; skips the test where a fresh clone has none."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared test data at {SHARED_DATA} (absent in a fresh clone)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tos_faces():
    """The shipped Tears of Steel excerpt tracked whole, once for every test that reads it so (each tracking
    takes about 9 s on 2 cores). Read it, never change it."""
    from engine.faces.track import track_video

    return track_video(ROOT / "assets" / "footage" / "ccby3_blender_tears_of_steel_0500.mp4")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's .env or writes to ./data."""
    monkeypatch.setenv("BENJAMIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("BENJAMIN_DEVICE", "cpu")


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except Exception:  # torch missing or broken: GPU tests cannot run either
        has_gpu = False
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))
