"""The work of each job kind, as a plain function of its inputs and its job folder: no database, no Discord.

    outcome = compute("make", inputs, job_dir, on_progress)

``inputs`` is a JSON-able dict made by :func:`studio.handlers.gather` on the machine that holds the
database; the outcome is a JSON-able dict that :func:`studio.handlers.record` writes back there. The
same function runs in the bot's own worker thread and on a worker machine that shares no disk with it
(studio.remote moves the files). Stages resume from the job folder, so running it again after a crash
redoes only what was not saved.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from engine.brief import Brief
from engine.errors import EngineError
from engine.pipeline import CastMember, ProductionPlan, WriteInputs, WriteStage, pick_take, produce, run_stage
from engine.pipeline.stage import to_jsonable
from engine.progress import ProgressFn

log = logging.getLogger(__name__)

DEFAULT_SIZE = (640, 360)
DEFAULT_FPS = 24
GPU_KINDS = ("train",)  # kinds that want a GPU worker; films with learned face swaps do too
CPU_SWAPS = ("auto", "geometric")  # auto: learned on CUDA, geometric on CPU (either kind of worker will do)


def needs_gpu(kind: str, inputs: dict) -> bool:
    """Training, and films whose cast is swapped onto footage by learned models, go to the `gpu` queue; the rest
    to `cpu` (a GPU worker taking `cpu` too still uses its GPU for them)."""
    footage = inputs.get("footage") or inputs.get("_library") or inputs.get("library")
    learned = (inputs.get("face_preset") or "auto") not in CPU_SWAPS
    return kind in GPU_KINDS or bool(footage and inputs.get("members") and learned)


def _device(inputs: dict) -> str:
    from engine.device import pick_device

    return pick_device(inputs.get("device") or "auto")


def write(inputs: dict, job_dir: Path, on_progress: ProgressFn, timings: dict) -> list:
    brief = Brief.from_dict(inputs["brief"]).validated()
    model = inputs.get("model")
    stage_inputs = WriteInputs(brief, takes=int(inputs.get("takes") or 1), seed=inputs.get("seed"),
                               model=Path(model) if model else None, device=_device(inputs),
                               temperature=inputs.get("temperature"), top_k=inputs.get("top_k"),
                               cast_names=tuple(inputs.get("cast_names") or ()))
    return run_stage(WriteStage(), stage_inputs, job_dir, on_progress, timings)


def film(inputs: dict, fountain: str, job_dir: Path, on_progress: ProgressFn, timings: dict) -> dict:
    """Cast, voice, swap and render one take; the film's facts (paths in the job folder)."""
    size = tuple(inputs.get("size") or DEFAULT_SIZE)
    members = tuple(CastMember(m["name"], tuple(Path(p) for p in m["photos"]), m.get("voice"))
                    for m in inputs.get("members") or ())
    faces_dir = inputs.get("faces_dir")
    plan = ProductionPlan(brief=Brief.from_dict(inputs["brief"]).validated(), fountain=fountain, members=members,
                          footage=tuple(Path(c) for c in inputs.get("footage") or ()), library=inputs.get("_library"),
                          max_mb=float(inputs["max_mb"]), size=(int(size[0]), int(size[1])),
                          fps=int(inputs.get("fps") or DEFAULT_FPS), faces_dir=Path(faces_dir) if faces_dir else None,
                          face_preset=inputs.get("face_preset") or "auto", device=_device(inputs))
    made = produce(plan, job_dir, on_progress)
    timings.update(made.stages_s)
    return {"film": str(made.path), "duration_s": made.duration_s, "size_bytes": made.size_bytes,
            "poster": str(made.poster) if made.poster else None,
            "contact_sheet": str(made.contact_sheet) if made.contact_sheet else None,
            "width": made.width, "height": made.height, "has_audio": made.has_audio,
            "credits": list(made.credits), "notes": list(made.notes), "stages_s": timings}


def compute(kind: str, inputs: dict, job_dir: Path, on_progress: ProgressFn,
            on_written: Callable[[list], None] | None = None) -> dict:
    """Run job ``kind`` on ``inputs``; ``on_written(takes)`` is told when a make job's takes are written."""
    job_dir = Path(job_dir)
    timings: dict[str, float] = {}
    if kind == "write":
        return {"takes": to_jsonable(write(inputs, job_dir, on_progress, timings))}
    if kind == "make":
        takes = write(inputs, job_dir, on_progress, timings)
        chosen = pick_take(takes, inputs.get("take"))
        if on_written:
            on_written(takes)
        fountain = _read(chosen.fountain_path)
        return {"takes": to_jsonable(takes), "chosen": chosen.index,
                "film": film(inputs, fountain, job_dir, on_progress, timings)}
    if kind == "film":
        return {"film": film(inputs, inputs["fountain"], job_dir, on_progress, timings)}
    if kind == "train":
        return train(inputs, job_dir, on_progress)
    raise EngineError(f"unknown job kind {kind!r}")


def train(inputs: dict, job_dir: Path, on_progress: ProgressFn) -> dict:
    """Train a writer checkpoint (resumes from the one in the job folder)."""
    from engine.screenplay.train import TrainConfig, train as train_writer

    try:
        config = TrainConfig.preset_defaults(inputs.get("preset") or "small", steps=inputs.get("steps"),
                                             minutes=inputs.get("minutes"), device=inputs.get("device") or "auto")
    except ValueError as e:
        raise EngineError(str(e)) from None
    out = job_dir / "train" / "writer.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = train_writer([Path(p) for p in inputs["corpus"]], config, out, resume=True, on_progress=on_progress)
    return {"checkpoint": str(result.checkpoint), "val_bpc": result.val_bpc, "steps": result.steps,
            "parameters": result.parameters}


def _read(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise EngineError(f"cannot read the take's screenplay {path}: {e.strerror or e}") from None
