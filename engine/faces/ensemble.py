"""The ensemble: K members that differ in seed, architecture or resolution, and a judge that picks (or blends)
one face per frame. Member 0 is the geometric member (no training); the rest are learned members, each trained
into its own checkpoint (so a killed ensemble training resumes member by member).

    paths = train_ensemble(actor_set, cast_set, out_dir, "default", "small", on_progress)
    ensemble = load_ensemble(out_dir, cast_set)            # a Member: ensemble.convert(batch)
    ensemble = ensemble_for(geometric, cast_set, actor_set, "small", None, cache_dir)  # both, for bot.py swap
    ensemble.judge.winners                                 # which member won each frame
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.device import pick_device
from engine.errors import ModelError
from engine.faces.faceset import FaceSet
from engine.faces.judge import Judge, JudgeConfig
from engine.faces.models._base import AlignedBatch, Generated, Member
from engine.faces.models.config import FaceModelConfig, preset
from engine.faces.models.geometric import GeometricMember
from engine.faces.models.learned import LearnedMember
from engine.faces.models.train import load_faceset, train_member
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberSpec:
    name: str  # also the checkpoint's file name (<name>.pt)
    kind: str = "learned"  # learned | geometric
    seed: int = 0
    residual: bool = False  # the decoder's architecture
    scale: float = 1.0  # resolution factor over the preset's (rounded to what the encoder allows)
    latent: float = 1.0  # bottleneck size factor over the preset's

    def config(self, model_preset: str) -> FaceModelConfig:
        base = preset(model_preset)
        step = 2 ** len(base.encoder_widths)
        resolution = max(2 * step, round(base.resolution * self.scale / step) * step)
        return replace(base, seed=self.seed, residual=self.residual or base.residual, resolution=resolution,
                       latent=max(16, round(base.latent * self.latent)))


def _learned(i: int, seed: int, residual: bool = False, scale: float = 1.0, latent: float = 1.0) -> MemberSpec:
    arch = "res" if residual else "df"
    return MemberSpec(f"m{i:02d}-{arch}-s{seed}", "learned", seed, residual, scale, latent)


ENSEMBLES: dict[str, list[MemberSpec]] = {
    # the CPU default: the geometric baseline and two learned members of different architecture
    "default": [MemberSpec("geometric", "geometric"), _learned(1, 1), _learned(2, 2, residual=True)],
    # as in the film: eleven members; seeds, decoders, resolutions and bottlenecks all vary
    "zoneout": [MemberSpec("geometric", "geometric")] + [
        _learned(i, seed=i, residual=i % 2 == 0, scale=(1.0, 1.0, 1.5, 0.75)[i % 4], latent=(1.0, 0.5, 2.0)[i % 3])
        for i in range(1, 11)],
    "learned": [_learned(1, 1)],  # one learned member alone (benchmarks: the learned preset on its own)
}


def ensemble_specs(name: str = "default", members: int | None = None) -> list[MemberSpec]:
    """The named ensemble's members (its first ``members`` when given)."""
    if name not in ENSEMBLES:
        raise ModelError(f"ensemble must be one of {', '.join(ENSEMBLES)}, not {name!r}")
    specs = ENSEMBLES[name]
    if members is not None:
        if members < 1:
            raise ModelError("an ensemble needs at least one member")
        specs = specs[:members]
    return specs


def train_ensemble(faceset_a: FaceSet | Path, faceset_b: FaceSet | Path, out_dir: Path, ensemble: str = "default",
                   model_preset: str = "small", on_progress: ProgressFn = null_progress, steps: int | None = None,
                   minutes: float | None = None, device: str = "auto", members: int | None = None) -> list[Path]:
    """Train every learned member of ``ensemble`` into ``out_dir``/<name>.pt, one after another; a member whose
    checkpoint already reached its steps is skipped, a partly trained one resumes. ``minutes`` is shared out
    over the members still to train (each gets at least a quarter of its share, so none is left untrained).
    Returns the learned members' checkpoints."""
    a, b = load_faceset(faceset_a), load_faceset(faceset_b)
    learned = [s for s in ensemble_specs(ensemble, members) if s.kind == "learned"]
    deadline = time.monotonic() + minutes * 60 if minutes else None
    out_dir, paths = Path(out_dir), []
    for i, spec in enumerate(learned):
        config = spec.config(model_preset)
        path = out_dir / f"{spec.name}.pt"
        budget = None
        if deadline is not None:  # an even share of what is left; a member late in the queue still gets a quarter share
            budget = max(minutes / len(learned) / 4, (deadline - time.monotonic()) / 60 / (len(learned) - i))

        def report(p: Progress, i=i, spec=spec):
            on_progress(Progress("train", (i + p.fraction) / len(learned),
                                 f"member {i + 1}/{len(learned)} ({spec.name}): {p.message}", None))

        paths.append(train_member(a, b, config, path, report, steps=steps, minutes=budget, device=device))
    return paths


class Ensemble:
    """A Member made of members: each converts the batch, the judge picks one face per frame."""

    name = "ensemble"

    def __init__(self, members: list[Member], judge: Judge) -> None:
        if not members:
            raise ModelError("an ensemble needs at least one member")
        self.members, self.judge = members, judge

    def convert(self, batch: AlignedBatch) -> Generated:
        outputs = [m.convert(batch) for m in self.members]
        critics = [m for m in self.members if hasattr(m, "realism_of")]
        if critics:  # every output judged by the same discriminators: each member's own flatters its own faces,
            # and the geometric member, which has none, would otherwise be scored a flat 0.5
            for g in outputs:
                g.realism = np.mean([c.realism_of(g.faces) for c in critics], axis=0).astype(np.float32)
        return self.judge.judge(batch, outputs)

    @property
    def wears_glasses(self) -> bool:
        """The cast member wears glasses in their photos (as the geometric member saw them)."""
        return any(getattr(m, "wears_glasses", False) for m in self.members)

    @property
    def winners(self) -> list[str]:
        return self.judge.winners


def load_ensemble(out_dir: Path, faceset_b: FaceSet, ensemble: str = "default", members: int | None = None,
                  device: str = "auto", judge: JudgeConfig = JudgeConfig(), actor_embedding=None,
                  geometric: Member | None = None) -> Ensemble:
    """The trained ensemble in ``out_dir`` (see train_ensemble) with the geometric member (``geometric``, or one
    made on ``faceset_b``). ModelError names the first learned member whose checkpoint is missing or was
    trained on someone else."""
    out: list[Member] = []
    for spec in ensemble_specs(ensemble, members):
        if spec.kind == "geometric":
            out.append(geometric or GeometricMember(faceset_b))
            continue
        path = Path(out_dir) / f"{spec.name}.pt"
        if not path.is_file():
            raise ModelError(f"member {spec.name} of the {ensemble} ensemble is not trained yet ({path} is missing)")
        member = LearnedMember(path, device, name=spec.name)
        if member.cast != faceset_b.name:
            raise ModelError(f"{path} paints {member.cast}, not {faceset_b.name}")
        out.append(member)
    log.info("ensemble %s: %s", ensemble, ", ".join(m.name for m in out))
    return Ensemble(out, Judge(faceset_b.mean_embedding, judge, actor_embedding))


def ensemble_for(geometric: Member, cast: FaceSet, actor: FaceSet, preset_name: str, members: int | None,
                 out_dir: Path, device: str = "auto", on_progress: ProgressFn = null_progress,
                 minutes: float | None = None) -> Ensemble:
    """What ``bot.py swap --preset`` asks for: ``tiny`` / ``small`` / ``large`` = the default ensemble with
    members of that size, ``zoneout`` = the film's eleven (large on CUDA, small otherwise). Trains what is not
    trained yet into ``out_dir``/<preset> (resuming a killed run; ``minutes`` caps that training), then loads it
    with ``geometric`` first."""
    dev = pick_device(device)
    ensemble, model_preset = ("zoneout", "large" if dev == "cuda" else "small") if preset_name == "zoneout" \
        else ("default", preset_name)
    preset(model_preset)  # an unknown preset is a clear ModelError before any work
    if model_preset == "large" and dev != "cuda":
        raise ModelError("the large face models need a CUDA GPU (days of training on a CPU); use small here")
    folder = Path(out_dir) / f"{ensemble}-{model_preset}"
    train_ensemble(actor, cast, folder, ensemble, model_preset, on_progress, minutes=minutes, device=dev, members=members)
    return load_ensemble(folder, cast, ensemble, members, dev, actor_embedding=actor.mean_embedding,
                         geometric=geometric)
