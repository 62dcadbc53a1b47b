"""Write stage: the writer's takes for a brief, and picking the one to produce."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.brief import Brief
from engine.errors import BriefError
from engine.pipeline.stage import Stage, from_jsonable, to_jsonable
from engine.progress import ProgressFn


@dataclass(frozen=True)
class WriteInputs:
    brief: Brief
    takes: int = 1
    seed: int | None = None
    model: Path | None = None  # None = the writer's default (shipped) checkpoint
    device: str = "cpu"
    temperature: float | None = None  # None = the writer's default
    top_k: int | None = None  # None = the writer's default; 0 = sample among all characters


@dataclass(frozen=True)
class TakeInfo:
    index: int
    fountain_path: Path
    pdf_path: Path | None
    seed: int | None
    score: float | None
    summary: dict


def summarize(screenplay) -> dict:
    """A few numbers about a take, for listings."""
    return {"title": screenplay.title, "scenes": len(screenplay.scenes), "characters": screenplay.characters(),
            "lines": sum(1 for _ in screenplay.dialogue()), "words": screenplay.word_count()}


class WriteStage(Stage):
    name = "write"

    def run(self, inputs: WriteInputs, workdir: Path, on_progress: ProgressFn) -> list[TakeInfo]:
        from engine.screenplay.writer import WriteOptions, write_takes

        opts = {"takes": inputs.takes, "pages": inputs.brief.pages, "seed": inputs.seed, "model": inputs.model,
                "device": inputs.device}
        if inputs.temperature is not None:
            opts["temperature"] = inputs.temperature
        if inputs.top_k is not None:
            opts["top_k"] = inputs.top_k or None
        takes = write_takes(inputs.brief, WriteOptions(**opts), self.dir(workdir), on_progress)
        infos = [TakeInfo(t.index, Path(t.fountain_path), Path(t.pdf_path) if t.pdf_path else None, t.seed,
                          t.score, summarize(t.screenplay)) for t in takes]
        self.mark_done(workdir, {"takes": to_jsonable(infos)}, [i.fountain_path for i in infos])
        return infos

    def outputs(self, workdir: Path) -> list[TakeInfo]:
        return [from_jsonable(TakeInfo, d) for d in self.load(workdir)["outputs"]["takes"]]


def pick_take(takes: list[TakeInfo], index: int | None = None) -> TakeInfo:
    """Take number ``index`` when given, else the best-scoring one (lowest index on a tie)."""
    if not takes:
        raise BriefError("the writer produced no takes for this brief")
    if index is not None:
        for t in takes:
            if t.index == index:
                return t
        raise BriefError(f"there is no take {index}; takes are {', '.join(str(t.index) for t in takes)}")
    return max(takes, key=lambda t: (t.score if t.score is not None else float("-inf"), -t.index))
