"""Training data of a learned member: aligned crops and their landmark-hull masks at the model's resolution,
random-warp augmentation (deepfakes' trick: the net sees a warped face and must paint the un-warped one),
flips and colour jitter, and the DSSIM loss. All in torch, on the training device, one batch at a time.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import FaceError
from engine.faces.models.config import FaceModelConfig


def hull_mask(landmarks: np.ndarray, size: int) -> np.ndarray:
    """(size, size) float32 in {0, 1}: the convex hull of 68 landmarks (crop pixels at ``size``)."""
    mask = np.zeros((size, size), np.uint8)
    hull = cv2.convexHull(np.round(np.asarray(landmarks, np.float32)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(np.float32)


def to_tensor(faces: np.ndarray, resolution: int, device: str = "cpu") -> torch.Tensor:
    """(N, S, S, 3) uint8 RGB -> (N, 3, R, R) float32 in [0, 1] on ``device`` (area resampling there)."""
    x = torch.from_numpy(np.ascontiguousarray(faces)).to(device).permute(0, 3, 1, 2).float().div_(255)
    if x.shape[-1] != resolution:
        x = F.interpolate(x, size=(resolution, resolution), mode="area")
    return x


def prepare(faces: np.ndarray, landmarks: np.ndarray, resolution: int, who: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A face set's crops and hull masks at ``resolution``: (N, 3, R, R) and (N, 1, R, R)."""
    if faces is None or len(faces) == 0:
        raise FaceError(f"the face set of {who} has no faces to learn from")
    if faces.ndim != 4 or faces.shape[-1] != 3 or faces.dtype != np.uint8 or len(landmarks) != len(faces):
        raise FaceError(f"the face set of {who} is not aligned RGB crops with landmarks ({faces.shape})")
    size = faces.shape[1]
    masks = np.stack([hull_mask(lm, size) for lm in landmarks])[:, None]  # (N, 1, S, S)
    m = torch.from_numpy(masks)
    if size != resolution:
        m = F.interpolate(m, size=(resolution, resolution), mode="area")
    return to_tensor(faces, resolution), m


def _affine(n: int, cfg: FaceModelConfig, gen: torch.Generator) -> torch.Tensor:
    """(n, 2, 3) random rotation / zoom / shift / flip, in affine_grid's normalised coordinates."""
    u = torch.rand(n, 5, generator=gen) * 2 - 1
    ang = u[:, 0] * math.radians(cfg.rotate)
    scale = 1 + u[:, 1] * cfg.zoom
    flip = torch.where((u[:, 4] > 0) & torch.tensor(cfg.flip), -1.0, 1.0)
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    row0 = torch.stack([cos * flip, -sin, u[:, 2] * cfg.shift * 2], 1)
    row1 = torch.stack([sin * flip, cos, u[:, 3] * cfg.shift * 2], 1)
    return torch.stack([row0, row1], 1)


def augment(images: torch.Tensor, masks: torch.Tensor, idx: torch.Tensor, cfg: FaceModelConfig,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The batch ``idx`` of ``images``: (warped input, un-warped target, target mask), each (B, C, R, R).

    Every random number comes from ``gen`` (CPU), so a seed and a step give the same batch on any run."""
    n, r, dev = len(idx), images.shape[-1], images.device
    theta = _affine(n, cfg, gen).to(dev)
    grid = F.affine_grid(theta, [n, 3, r, r], align_corners=False)  # (B, R, R, 2)
    offsets = torch.randn(n, 2, 5, 5, generator=gen) * (cfg.warp * 2)  # 5x5 control grid, normalised units
    offsets = F.interpolate(offsets.to(dev), size=(r, r), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
    jit = (torch.rand(n, 5, generator=gen) * 2 - 1).to(dev) * cfg.jitter
    src, src_mask = images[idx.to(dev)], masks[idx.to(dev)]
    target = F.grid_sample(src, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    warped = F.grid_sample(src, grid + offsets, mode="bilinear", padding_mode="reflection", align_corners=False)
    mask = F.grid_sample(src_mask, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    gain = (1 + jit[:, :3] / 2).view(n, 3, 1, 1) * (1 + jit[:, 3]).view(n, 1, 1, 1)  # colour x contrast
    bias = (jit[:, 4] / 2).view(n, 1, 1, 1)  # brightness

    def colour(x):
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return ((x - mean) * gain + mean + bias).clamp(0, 1)

    return colour(warped), colour(target), mask


def _gauss(window: int, channels: int, device) -> torch.Tensor:
    x = torch.arange(window, dtype=torch.float32, device=device) - window // 2
    g = torch.exp(-(x ** 2) / (2 * 1.5 ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, window, window).contiguous()


def dssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Structural dissimilarity (1 - SSIM) / 2 of two (B, C, H, W) batches in [0, 1], Gaussian window."""
    c = a.shape[1]
    window = 11 if a.shape[-1] >= 64 else 7
    w = _gauss(window, c, a.device).to(a.dtype)

    def blur(x):
        return F.conv2d(x, w, groups=c)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return ((1 - ssim) / 2).mean()
