"""Learned face-member training benchmark (printed, not asserted):

for each preset, training iterations/s of engine.faces.models.train.train_member on two real people from
../shared/data (person_b -> person_c), against a reference in the same process: the plain deepfakes loop
(the same nets, L1 + mask loss, Adam, batches augmented ahead of the timer, no discriminator, no checkpoints),
printed as a ratio; and the losses the member reached after its steps.

    python bench/bench_faces_train.py [--presets tiny,small] [--steps 40] [--threads N] [--device cpu]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.device import pick_device  # noqa: E402
from engine.faces.extract import build_faceset  # noqa: E402
from engine.faces.models.augment import augment, prepare  # noqa: E402
from engine.faces.models.checkpoint import load_member  # noqa: E402
from engine.faces.models.config import FaceModelConfig, preset  # noqa: E402
from engine.faces.models.nets import FaceNets  # noqa: E402
from engine.faces.models.train import train_member  # noqa: E402

SHARED = Path(os.environ.get("BENJAMIN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "faces"


def reference_loop(actor, cast, cfg: FaceModelConfig, steps: int, device: str) -> float:
    """The plainest loop for the same nets: iterations/s over ``steps`` (batches made before the clock starts)."""
    torch.manual_seed(cfg.seed)
    nets = FaceNets(cfg).to(device)
    opt = torch.optim.Adam(list(nets.generator_parameters()), lr=cfg.lr)
    data = [[t.to(device) for t in prepare(fs.faces, fs.landmarks, cfg.resolution, fs.name)] for fs in (actor, cast)]
    gen = torch.Generator().manual_seed(cfg.seed)
    batches = [[augment(*d, torch.randint(len(d[0]), (cfg.batch,), generator=gen), cfg, gen) for d in data]
               for _ in range(steps)]
    start = time.perf_counter()
    for (wa, ta, ma), (wb, tb, mb) in batches:
        out_a, out_b = nets.decoder_a(nets.encoder(wa)), nets.decoder_b(nets.encoder(wb))
        loss = (F.l1_loss(torch.sigmoid(out_a[:, :3]), ta) + F.l1_loss(torch.sigmoid(out_b[:, :3]), tb)
                + F.binary_cross_entropy_with_logits(out_a[:, 3:], ma)
                + F.binary_cross_entropy_with_logits(out_b[:, 3:], mb))
        opt.zero_grad()
        loss.backward()
        opt.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def bench_preset(name: str, actor, cast, steps: int, device: str) -> None:
    cfg = preset(name)
    ref = reference_loop(actor, cast, cfg, steps, device)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = train_member(actor, cast, cfg, Path(tmp) / f"{name}.pt", steps=steps, device=device)
        took = time.perf_counter() - start
        ckpt = load_member(path)
    ours = ckpt.its_per_s or 0.0
    first, last = ckpt.losses[0], ckpt.losses[-1]
    params = sum(p.numel() for p in ckpt.nets.parameters())
    print(f"{name}: {cfg.resolution} px, batch {cfg.batch}, {params / 1e6:.2f} M parameters, {steps} steps on {device} "
          f"({torch.get_num_threads()} thread(s)), {took:.1f} s with setup")
    print(f"  reference loop   {ref:8.2f} it/s")
    print(f"  train_member()   {ours:8.2f} it/s   ratio {ours / ref:.2f}x "
          "(adds DSSIM, the discriminator and its step, augmentation per step, checkpoints)")
    print(f"  losses step {first['step']} -> {last['step']}: L1 {first['l1']:.3f} -> {last['l1']:.3f}, "
          f"DSSIM {first['dssim']:.3f} -> {last['dssim']:.3f}, mask {first['mask']:.3f} -> {last['mask']:.3f}, "
          f"D {first['d']:.3f} -> {last['d']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not SHARED.is_dir():
        print(f"no face data at {SHARED}: nothing to benchmark")
        return
    actor, _ = build_faceset("person_b", sorted((SHARED / "ccby_tang_video_person_b").glob("*.jpg")))
    cast, _ = build_faceset("person_c", sorted((SHARED / "ccby_tang_video_person_c").glob("*.jpg")))
    print(f"face sets: {actor.name} {len(actor)} faces -> {cast.name} {len(cast)} faces")
    device = pick_device(args.device)
    for name in args.presets.split(","):
        bench_preset(name.strip(), actor, cast, args.steps, device)


if __name__ == "__main__":
    main()
