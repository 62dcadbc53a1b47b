"""Write stage: the writer's takes for a brief, and picking the one to produce."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from engine.brief import Brief
from engine.errors import BriefError
from engine.pipeline.stage import Stage, from_jsonable, to_jsonable, write_json_atomic
from engine.progress import Progress, ProgressFn


@dataclass(frozen=True)
class WriteInputs:
    brief: Brief
    takes: int = 1
    seed: int | None = None
    model: Path | None = None  # None = the writer's default (shipped) checkpoint
    device: str = "cpu"
    temperature: float | None = None  # None = the writer's default
    top_k: int | None = None  # None = the writer's default; 0 = sample among all characters
    cast_names: tuple[str, ...] = ()  # opt in: the busiest characters are named after these cast members


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
    """Takes are written one at a time, each saved (files, then ``take-N.json``) before the next starts,
    so a job killed in the middle resumes after its last saved take."""
    name = "write"

    def run(self, inputs: WriteInputs, workdir: Path, on_progress: ProgressFn) -> list[TakeInfo]:
        out = self.dir(workdir)
        base = self._base_seed(inputs, out)
        infos = []
        for k in range(1, inputs.takes + 1):
            info = self._saved_take(out, k)
            if info is None:
                info = self._write_take(inputs, out, k, base + k - 1, _scaled(on_progress, k - 1, inputs.takes))
                on_progress(Progress(self.name, k / inputs.takes, f"saved take {k}", saved=f"take {k}"))
            infos.append(info)
        self.mark_done(workdir, {"takes": to_jsonable(infos)}, [i.fountain_path for i in infos])
        return infos

    def _write_take(self, inputs: WriteInputs, out: Path, index: int, seed: int, on_progress) -> TakeInfo:
        from engine.screenplay.writer import WriteOptions, write_takes

        opts = {"takes": 1, "first_index": index, "pages": inputs.brief.pages, "seed": seed, "model": inputs.model,
                "device": inputs.device, "cast_names": tuple(inputs.cast_names)}
        if inputs.temperature is not None:
            opts["temperature"] = inputs.temperature
        if inputs.top_k is not None:
            opts["top_k"] = inputs.top_k or None
        [t] = write_takes(inputs.brief, WriteOptions(**opts), out, on_progress)
        info = TakeInfo(t.index, Path(t.fountain_path), Path(t.pdf_path) if t.pdf_path else None, t.seed,
                        t.score, summarize(t.screenplay))
        write_json_atomic(out / f"take-{index}.json", to_jsonable(info))  # last: the take is saved
        return info

    @staticmethod
    def _saved_take(out: Path, index: int) -> TakeInfo | None:
        try:
            info = from_jsonable(TakeInfo, json.loads((out / f"take-{index}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return info if info.fountain_path.is_file() else None

    @staticmethod
    def _base_seed(inputs: WriteInputs, out: Path) -> int:
        """The seed of take 1 (take k: + k - 1); a random one is kept in the folder so a resume continues it."""
        if inputs.seed is not None:
            return int(inputs.seed)
        path = out / "seed.json"
        try:
            return int(json.loads(path.read_text(encoding="utf-8"))["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            seed = secrets.randbelow(2**31)
            write_json_atomic(path, {"seed": seed})
            return seed

    def outputs(self, workdir: Path) -> list[TakeInfo]:
        return [from_jsonable(TakeInfo, d) for d in self.load(workdir)["outputs"]["takes"]]


def _scaled(on_progress: ProgressFn, done: int, total: int) -> ProgressFn:
    """One take's 0..1 progress as part of the whole stage's."""
    def report(p: Progress) -> None:
        on_progress(replace(p, fraction=(done + p.fraction) / total))
    return report


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
