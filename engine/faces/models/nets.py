"""The nets of a learned member, pure torch (deepfakes' autoencoder + faceswap-GAN's PatchGAN).

One shared encoder turns any face into an identity-free code of pose, expression and light; one decoder per
identity paints that code as its person, with a mask channel; swapping = encode the actor, decode as the cast.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.faces.models.config import FaceModelConfig


class Upscale(nn.Module):
    """x2 by sub-pixel convolution: (B, Cin, H, W) -> (B, Cout, 2H, 2W)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout * 4, 3, padding=1)

    def forward(self, x):
        return F.pixel_shuffle(F.leaky_relu(self.conv(x), 0.1), 2)


class Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return F.leaky_relu(x + self.b(F.leaky_relu(self.a(x), 0.2)), 0.2)


class Encoder(nn.Module):
    """(B, 3, R, R) in [0, 1] -> (B, C, R/2^(n-1), R/2^(n-1)): n stride-2 convs, a dense bottleneck, one x2."""

    def __init__(self, cfg: FaceModelConfig):
        super().__init__()
        layers, cin = [], 3
        for w in cfg.encoder_widths:
            layers += [nn.Conv2d(cin, w, 5, stride=2, padding=2), nn.LeakyReLU(0.1)]
            cin = w
        self.convs = nn.Sequential(*layers)
        self.side = cfg.resolution // 2 ** len(cfg.encoder_widths)  # s: spatial side at the bottleneck
        flat = cin * self.side * self.side
        self.to_latent = nn.Linear(flat, cfg.latent)
        self.from_latent = nn.Linear(cfg.latent, flat)
        self.up = Upscale(cin, cin)
        self.channels = cin

    def forward(self, x):
        h = self.convs(x * 2 - 1)  # (B, C, s, s)
        z = self.to_latent(h.flatten(1))  # (B, latent)
        h = self.from_latent(z).view(-1, self.channels, self.side, self.side)
        return self.up(h)  # (B, C, 2s, 2s)


class Decoder(nn.Module):
    """Encoder output -> (B, 4, R, R) logits: RGB (sigmoid -> [0, 1]) and the face mask (sigmoid -> [0, 1])."""

    def __init__(self, cfg: FaceModelConfig, cin: int):
        super().__init__()
        layers = []
        for w in cfg.decoder_widths:
            layers.append(Upscale(cin, w))
            if cfg.residual:
                layers.append(Residual(w))
            cin = w
        self.stages = nn.Sequential(*layers)
        self.out = nn.Conv2d(cin, 4, 5, padding=2)

    def forward(self, h):
        return self.out(self.stages(h))  # (B, 4, R, R)


class PatchDiscriminator(nn.Module):
    """(B, 3, R, R) in [0, 1] -> (B, 1, r, r) real/fake logits, one per overlapping patch (PatchGAN)."""

    def __init__(self, cfg: FaceModelConfig):
        super().__init__()
        layers, cin = [], 3
        for w in cfg.disc_widths:
            layers += [nn.Conv2d(cin, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            cin = w
        layers.append(nn.Conv2d(cin, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x * 2 - 1)


class FaceNets(nn.Module):
    """Everything one member trains: the shared encoder, decoders A (actor) and B (cast), B's discriminator."""

    def __init__(self, cfg: FaceModelConfig):
        super().__init__()
        self.encoder = Encoder(cfg)
        self.decoder_a = Decoder(cfg, self.encoder.channels)
        self.decoder_b = Decoder(cfg, self.encoder.channels)
        self.discriminator = PatchDiscriminator(cfg)

    def generator_parameters(self):
        for m in (self.encoder, self.decoder_a, self.decoder_b):
            yield from m.parameters()

    def swap(self, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Faces (B, 3, R, R) in [0, 1] -> B's face (B, 3, R, R) and its mask (B, 1, R, R), both in [0, 1]."""
        out = self.decoder_b(self.encoder(faces)).float()
        return torch.sigmoid(out[:, :3]), torch.sigmoid(out[:, 3:])

    def realism(self, faces: torch.Tensor) -> torch.Tensor:
        """(B,) mean probability over patches that ``faces`` are real photos of B."""
        return torch.sigmoid(self.discriminator(faces).float()).mean(dim=(1, 2, 3))
