"""Sizes, losses and training settings of a learned face-swap member (the deepfakes / faceswap-GAN design).

One frozen config per member; the checkpoint carries it, so a member converts with exactly what it learned.
Presets: ``tiny`` (tests: 64 px, trains in seconds on CPU), ``small`` (CPU, minutes), ``large`` (GPU, 128 px, AMP).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from engine.errors import ModelError


@dataclass(frozen=True)
class FaceModelConfig:
    preset: str = "small"  # the preset this config started from (for logs and reports)
    # --- the nets
    resolution: int = 64  # px the nets see: the 256 px aligned crops are resampled to this
    encoder_widths: tuple[int, ...] = (32, 64, 128, 256)  # channels of the stride-2 conv stages (R -> R/16)
    latent: int = 256  # bottleneck vector size (the shared identity-free face code)
    decoder_widths: tuple[int, ...] = (128, 64, 32)  # channels of the x2 pixel-shuffle stages (R/8 -> R)
    residual: bool = False  # a residual block after each decoder stage (DFL-style; a different architecture)
    disc_widths: tuple[int, ...] = (32, 64, 128)  # PatchGAN discriminator stages (70x70-style receptive field)
    # --- losses (weights; 0 turns a term off)
    w_dssim: float = 1.0  # structural dissimilarity (1 - SSIM) / 2 of the face against the un-warped target
    w_l1: float = 1.0  # mean absolute pixel error
    w_mask: float = 0.5  # BCE of the predicted mask against the landmark hull
    w_adv: float = 0.1  # adversarial (non-saturating GAN) term of the cast decoder; realism comes from it
    # --- optimisation
    lr: float = 5e-4  # Adam, both generator and discriminator
    beta1: float = 0.5
    batch: int = 16  # faces per identity per step
    steps: int = 3000  # total optimiser steps a run trains up to (a resumed run continues to it)
    # --- augmentation (applied to the aligned crop; the target is the un-warped crop)
    warp: float = 0.04  # random-warp strength: std of a 5x5 grid's offsets, as a fraction of the crop
    rotate: float = 8.0  # degrees of random rotation (both input and target)
    zoom: float = 0.05  # random scale +-
    shift: float = 0.04  # random shift, fraction of the crop
    flip: bool = True  # random horizontal flips
    jitter: float = 0.1  # brightness / contrast / per-channel colour jitter amplitude
    # --- run
    seed: int = 0  # weights and batches follow from it (the same seed and steps give the same weights on CPU)
    amp: bool = True  # fp16 autocast + GradScaler on CUDA (never on CPU)
    save_every: int = 200  # steps between checkpoints (also every save_every_s seconds)
    save_every_s: float = 60.0
    log_every: int = 10  # steps between loss records in the checkpoint

    def __post_init__(self):
        stages = len(self.encoder_widths)
        if self.resolution % (2 ** stages) or self.resolution < 2 ** stages * 2:
            raise ModelError(f"resolution {self.resolution} must be a multiple of {2 ** stages} "
                             f"(and at least {2 ** stages * 2}) for {stages} encoder stages")
        if len(self.decoder_widths) != stages - 1:
            raise ModelError(f"{stages} encoder stages need {stages - 1} decoder stages, "
                             f"not {len(self.decoder_widths)}")
        if self.batch < 1 or self.steps < 0 or self.lr <= 0:
            raise ModelError("batch must be at least 1, steps not negative and lr positive")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "FaceModelConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})

    def same_model(self, other: "FaceModelConfig") -> bool:
        """Whether a checkpoint of ``other`` can be resumed with this config (nets and resolution equal)."""
        keys = ("resolution", "encoder_widths", "latent", "decoder_widths", "residual", "disc_widths")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


PRESETS: dict[str, FaceModelConfig] = {
    # tests: about 0.1 s a step on one CPU core
    "tiny": FaceModelConfig(preset="tiny", resolution=32, encoder_widths=(16, 32, 64), latent=64,
                            decoder_widths=(32, 16), disc_widths=(16, 32), batch=8, steps=150, lr=1e-3,
                            save_every=50, log_every=5),
    # CPU: about 0.4 s a step on one core (64 px, batch 8): a member in about ten minutes on two cores
    "small": FaceModelConfig(preset="small", batch=8, steps=2000),
    # GPU: 128 px, wider nets, fp16 autocast
    "large": FaceModelConfig(preset="large", resolution=128, encoder_widths=(64, 128, 256, 512, 1024), latent=512,
                             decoder_widths=(512, 256, 128, 64), residual=True, disc_widths=(64, 128, 256, 512),
                             batch=32, steps=60000, lr=5e-5, save_every=1000, save_every_s=300.0),
}


def preset(name: str, **overrides) -> FaceModelConfig:
    """The named preset with ``overrides`` (None values ignored), or ModelError naming the presets."""
    if name not in PRESETS:
        raise ModelError(f"face model preset must be one of {', '.join(PRESETS)}, not {name!r}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
