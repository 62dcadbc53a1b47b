"""Voice stage: one WAV per spoken line (engine.voice, cached per line)."""
from __future__ import annotations

from pathlib import Path

from engine.pipeline.cast import CastAssignment
from engine.pipeline.stage import Stage, from_jsonable, to_jsonable
from engine.progress import ProgressFn
from engine.screenplay.document import Screenplay


class VoiceStage(Stage):
    name = "voice"

    def run(self, inputs: tuple[Screenplay, dict[str, CastAssignment]], workdir: Path, on_progress: ProgressFn):
        from engine.voice import voice_screenplay

        screenplay, cast = inputs
        chosen = {c: a.voice for c, a in cast.items() if a.voice}
        lines = voice_screenplay(screenplay, self.dir(workdir), chosen, on_progress)
        self.mark_done(workdir, {"lines": to_jsonable(lines)}, [line.wav for line in lines])
        return lines

    def outputs(self, workdir: Path):
        from engine.voice import VoicedLine

        return [from_jsonable(VoicedLine, d) for d in self.load(workdir)["outputs"]["lines"]]
