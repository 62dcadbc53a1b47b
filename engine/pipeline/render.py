"""Render stage: the timeline (plain data) and the mp4 made from it (engine.render)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.pipeline.stage import Stage, from_jsonable, to_jsonable, write_json_atomic
from engine.progress import Progress, ProgressFn
from engine.screenplay.document import Screenplay


@dataclass(frozen=True)
class RenderInputs:
    screenplay: Screenplay
    lines: list  # engine.voice.VoicedLine
    faces: dict[str, Path]
    footage: list  # engine.render.FootageShot
    credits: object  # engine.render.Credits
    size: tuple[int, int]
    fps: int
    max_mb: float


class RenderStage(Stage):
    name = "render"

    def run(self, inputs: RenderInputs, workdir: Path, on_progress: ProgressFn):
        from engine.render import Credits, build_timeline, credits_text, render_film

        out_dir = self.dir(workdir)
        out_dir.mkdir(parents=True, exist_ok=True)
        timeline = build_timeline(inputs.screenplay, inputs.lines, inputs.faces, list(inputs.footage),
                                  inputs.credits, inputs.size, inputs.fps)
        write_json_atomic(out_dir / "timeline.json", to_jsonable(timeline))
        result = render_film(timeline, out_dir / "film.mp4", inputs.max_mb, on_progress)
        files = [result.path] + [p for p in (result.poster, result.contact_sheet) if p]
        credits = next((credits_text(v) for v in timeline.visuals if isinstance(v, Credits)), ())
        self.mark_done(workdir, {"result": to_jsonable(result), "credits": list(credits)}, files)
        on_progress(Progress(self.name, 1.0, "rendered", 0.0, preview=result.poster))
        return result

    def outputs(self, workdir: Path):
        from engine.render import RenderResult

        return from_jsonable(RenderResult, self.load(workdir)["outputs"]["result"])

    def credits(self, workdir: Path) -> tuple[str, ...]:
        """The finished film's credits as plain text lines (empty before the stage is done)."""
        data = self.load(workdir) or {}
        return tuple(data.get("outputs", {}).get("credits", ()))
