"""Helpers shared by the writer tests (a plain module: importable without a package)."""
from __future__ import annotations

from pathlib import Path

from engine.screenplay.corpus import default_corpus


def small_corpus() -> list[Path]:
    """Two of the bundled plays: enough for the tiny preset to learn something in seconds."""
    return [p for p in default_corpus() if p.stem in {"macbeth", "twelfth-night"}]
