"""Training a learned member: the shared encoder and both decoders learn to repaint random-warped faces of the
actor (A) and the cast member (B) (DSSIM + L1 + mask loss), while a PatchGAN discriminator learns B's real
faces from the B decoder's. CUDA with fp16 autocast and a GradScaler when present, CPU otherwise. Atomic
checkpoints every few hundred steps or seconds and on cancel; a run started on an existing checkpoint continues
from its step (on CPU the weights then equal an uninterrupted run's: batches follow from seed and step).
"""
from __future__ import annotations

import contextlib
import logging
import pickle
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.device import one_thread, pick_device
from engine.errors import Cancelled, ModelError
from engine.faces.faceset import FaceSet
from engine.faces.models.augment import augment, dssim, prepare
from engine.faces.models.checkpoint import MemberCheckpoint, load_member, save_member
from engine.faces.models.config import FaceModelConfig
from engine.faces.models.nets import FaceNets
from engine.progress import Progress, ProgressFn, null_progress

log = logging.getLogger(__name__)


ONE_THREAD_PX = 64  # nets this small train faster on one CPU thread (measured; see train_member)


def train_member(faceset_a: FaceSet | Path, faceset_b: FaceSet | Path, config: FaceModelConfig, out_ckpt: Path,
                 on_progress: ProgressFn = null_progress, steps: int | None = None, minutes: float | None = None,
                 device: str = "auto", resume: bool = True) -> Path:
    """Train one member to turn ``faceset_a``'s person (the actor) into ``faceset_b``'s (the cast member).

    Trains up to ``steps`` total steps (default ``config.steps``) or for ``minutes`` of wall time, whichever
    comes first; an existing ``out_ckpt`` of the same nets is resumed (``resume=False`` starts afresh).
    ``on_progress`` may raise Cancelled: the checkpoint is saved first. Returns ``out_ckpt``.
    On a CPU, nets of 64 px or less train on one thread (tiny: 27.8 it/s against 13.9 on two; small: the same)."""
    dev = pick_device(device)
    with one_thread(dev) if config.resolution <= ONE_THREAD_PX else contextlib.nullcontext():
        return _train_member(faceset_a, faceset_b, config, out_ckpt, on_progress, steps, minutes, dev, resume)


def _train_member(faceset_a, faceset_b, config: FaceModelConfig, out_ckpt: Path, on_progress: ProgressFn,
                  steps: int | None, minutes: float | None, dev: str, resume: bool) -> Path:
    a, b = load_faceset(faceset_a), load_faceset(faceset_b)
    out_ckpt = Path(out_ckpt)
    target = config.steps if steps is None else int(steps)
    ckpt = _start(a, b, config, out_ckpt, dev, resume)
    if ckpt.step >= target and out_ckpt.is_file():
        log.info("%s is already trained to step %d", out_ckpt, ckpt.step)
        return out_ckpt
    cfg = ckpt.config
    amp = cfg.amp and dev == "cuda"
    data_a = [t.to(dev) for t in prepare(a.faces, a.landmarks, cfg.resolution, a.name)]
    data_b = [t.to(dev) for t in prepare(b.faces, b.landmarks, cfg.resolution, b.name)]
    nets = ckpt.nets.train()
    opt_g = torch.optim.Adam(list(nets.generator_parameters()), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(nets.discriminator.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    if ckpt.optimizers:
        opt_g.load_state_dict(ckpt.optimizers["g"])
        opt_d.load_state_dict(ckpt.optimizers["d"])
        if amp and ckpt.optimizers.get("scaler"):
            scaler.load_state_dict(ckpt.optimizers["scaler"])
    first, start = ckpt.step, time.monotonic()
    last_save = start
    deadline = start + minutes * 60 if minutes is not None else None
    log.info("training %s -> %s (%s, %d px) on %s from step %d to %d", a.name, b.name, cfg.preset,
             cfg.resolution, dev, first, target)

    def save():
        elapsed = time.monotonic() - start
        ckpt.its_per_s = (ckpt.step - first) / elapsed if ckpt.step > first and elapsed > 0 else ckpt.its_per_s
        ckpt.optimizers = {"g": opt_g.state_dict(), "d": opt_d.state_dict(), "scaler": scaler.state_dict()}
        save_member(ckpt, out_ckpt)

    try:
        while ckpt.step < target and (deadline is None or time.monotonic() < deadline):
            gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + ckpt.step)
            batch_a = augment(*data_a, torch.randint(len(a), (cfg.batch,), generator=gen), cfg, gen)
            batch_b = augment(*data_b, torch.randint(len(b), (cfg.batch,), generator=gen), cfg, gen)
            losses = train_step(nets, opt_g, opt_d, scaler, batch_a, batch_b, cfg, amp)
            ckpt.step += 1
            if ckpt.step % cfg.log_every == 0 or ckpt.step == first + 1:
                ckpt.losses.append({"step": ckpt.step, **losses})
            if ckpt.step % cfg.save_every == 0 or time.monotonic() - last_save > cfg.save_every_s:
                save()
                last_save = time.monotonic()
            _report(on_progress, ckpt.step, first, target, start, deadline, losses)
    except Cancelled:
        save()
        raise
    save()
    log.info("trained %s to step %d (%.2f it/s)", out_ckpt.name, ckpt.step, ckpt.its_per_s or 0.0)
    return out_ckpt


def train_step(nets: FaceNets, opt_g, opt_d, scaler, batch_a, batch_b, cfg: FaceModelConfig, amp: bool) -> dict:
    """One generator step (both decoders) and one discriminator step; the losses as floats."""
    (warped_a, target_a, mask_a), (warped_b, target_b, mask_b) = batch_a, batch_b
    autocast = torch.autocast("cuda", dtype=torch.float16) if amp else contextlib.nullcontext()
    nets.discriminator.requires_grad_(False)
    with autocast:
        out_a = nets.decoder_a(nets.encoder(warped_a)).float()
        out_b = nets.decoder_b(nets.encoder(warped_b)).float()
        rgb_a, rgb_b = torch.sigmoid(out_a[:, :3]), torch.sigmoid(out_b[:, :3])
        l1 = F.l1_loss(rgb_a, target_a) + F.l1_loss(rgb_b, target_b)
        ds = dssim(rgb_a, target_a) + dssim(rgb_b, target_b)
        mask = (F.binary_cross_entropy_with_logits(out_a[:, 3:], mask_a)
                + F.binary_cross_entropy_with_logits(out_b[:, 3:], mask_b))
        adv = torch.zeros((), device=l1.device)
        if cfg.w_adv > 0:
            fake = nets.discriminator(rgb_b).float()
            adv = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        loss_g = cfg.w_l1 * l1 + cfg.w_dssim * ds + cfg.w_mask * mask + cfg.w_adv * adv
    opt_g.zero_grad(set_to_none=True)
    scaler.scale(loss_g).backward()
    scaler.step(opt_g)
    nets.discriminator.requires_grad_(True)
    with autocast:
        real = nets.discriminator(target_b).float()
        fake = nets.discriminator(rgb_b.detach()).float()
        loss_d = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                  + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))) / 2
    opt_d.zero_grad(set_to_none=True)
    scaler.scale(loss_d).backward()
    scaler.step(opt_d)
    scaler.update()
    return {"l1": l1.item() / 2, "dssim": ds.item() / 2, "mask": mask.item() / 2, "adv": adv.item(),
            "d": loss_d.item()}


def load_faceset(fs: FaceSet | Path) -> FaceSet:
    """A FaceSet as given, or loaded from its .npz (ModelError when missing or unreadable)."""
    if isinstance(fs, FaceSet):
        return fs
    path = Path(fs)
    if not path.is_file():
        raise ModelError(f"no face set at {path}")
    try:
        return FaceSet.load(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise ModelError(f"{path} is not a readable face set ({type(e).__name__})") from None


def _start(a: FaceSet, b: FaceSet, cfg: FaceModelConfig, out: Path, dev: str, resume: bool) -> MemberCheckpoint:
    """The checkpoint to continue (same nets, same two people) or a fresh one seeded from ``cfg.seed``."""
    if resume and out.is_file():
        ckpt = load_member(out, dev)
        if not ckpt.config.same_model(cfg):
            raise ModelError(f"{out} holds a {ckpt.config.preset} model of other sizes; "
                             "train into another file or pass resume=False to start afresh")
        if (ckpt.actor, ckpt.cast) != (a.name, b.name):
            raise ModelError(f"{out} swaps {ckpt.actor} -> {ckpt.cast}, not {a.name} -> {b.name}")
        ckpt.config = cfg  # training settings (lr, losses, steps) may change between runs; the nets may not
        log.info("resuming %s at step %d", out, ckpt.step)
        return ckpt
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        nets = FaceNets(cfg).to(dev)
    emb = np.asarray(b.embeddings, np.float32).mean(axis=0) if len(b.embeddings) else None
    return MemberCheckpoint(cfg, nets, a.name, b.name, cast_embedding=emb)


def _report(on_progress: ProgressFn, step: int, first: int, target: int, start: float, deadline, losses) -> None:
    now = time.monotonic()
    rate = (step - first) / max(1e-9, now - start)
    fraction = step / max(1, target)
    eta = (target - step) / rate if rate > 0 else None
    if deadline is not None:
        budget = deadline - start
        fraction = max(fraction, min(1.0, (now - start) / max(1e-9, budget)))
        eta = max(0.0, min(eta if eta is not None else budget, deadline - now))
    on_progress(Progress("train", min(1.0, fraction),
                         f"step {step}/{target}: L1 {losses['l1']:.3f}, DSSIM {losses['dssim']:.3f}, "
                         f"mask {losses['mask']:.3f}, D {losses['d']:.3f}, {rate:.2f} it/s", eta))
