"""Swap stage: put the cast's faces onto footage. Not faked: until a face-swap engine exists it is
skipped, with the reason logged and recorded; the render then uses the cast photos as they are."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from engine.pipeline.cast import CastAssignment
from engine.pipeline.stage import Stage
from engine.progress import Progress, ProgressFn

log = logging.getLogger(__name__)


def skip_reason(cast: dict[str, CastAssignment], footage) -> str | None:
    """Why the swap cannot run for this film, or None when it can."""
    if not footage:
        return "no footage"
    if not any(a.member for a in cast.values()):
        return "no cast members"
    if importlib.util.find_spec("engine.faces.swap") is None:
        return "face swap is not available yet"
    return None


class SwapStage(Stage):
    name = "swap"

    def run(self, inputs: tuple[dict[str, CastAssignment], tuple[Path, ...]], workdir: Path,
            on_progress: ProgressFn) -> dict:
        cast, footage = inputs
        reason = skip_reason(cast, footage)
        if reason is None:  # a swap engine exists but is not wired in yet: say so, never pretend
            reason = "face swap is not wired into the pipeline yet"
        log.info("swap skipped: %s", reason)
        on_progress(Progress(self.name, 1.0, f"skipped: {reason}", 0.0))
        outputs = {"skipped": reason}
        self.mark_done(workdir, outputs)
        return outputs

    def outputs(self, workdir: Path) -> dict:
        return self.load(workdir)["outputs"]
