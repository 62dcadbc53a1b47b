"""Progress reports: every long-running engine function takes an ``on_progress`` callback.

The callback may raise :class:`engine.errors.Cancelled` to stop the work; engine code calls
it often enough (at least every few seconds) for cancel to feel immediate.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Progress:
    stage: str  # e.g. "write", "voice", "render", "train"
    fraction: float  # 0..1 within the stage
    message: str = ""
    eta_s: float | None = None  # seconds left in the stage, when known
    preview: Path | None = None  # a still worth showing (poster, frame), when there is one
    saved: str | None = None  # set when durable work was just saved (a take, a line, a stage): what it was.
    # A job that keeps reporting ``saved`` is making progress that survives a kill (see storage.jobs).


ProgressFn = Callable[[Progress], None]


def null_progress(_: Progress) -> None:
    """The default callback: ignore progress."""


class EtaClock:
    """Estimate time left from the fraction done so far (linear)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def eta(self, fraction: float) -> float | None:
        if fraction <= 0.0:
            return None
        elapsed = time.monotonic() - self.start
        return max(0.0, elapsed * (1.0 - fraction) / fraction)
