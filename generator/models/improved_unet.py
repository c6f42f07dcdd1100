"""The improved class-conditioned UNet of the bells and whistles (section 15), for 28 x 28 MNIST.

What small diffusion models use today, in place of the course's BatchNorm UNet
(``models/unet.py``): residual blocks with GroupNorm, a sinusoidal embedding of the
noise level, self-attention at the 7 x 7 level, and conditioning that scales and shifts
every residual block (adaptive GroupNorm, as in Dhariwal & Nichol 2021). The same
network serves both objectives of ``diffusion/flow.py`` and ``diffusion/ddpm.py``: it
takes a noise level s in [0, 1] and returns a tensor shaped like x (eps for DDPM, the
velocity for flow matching).

Shapes for a batch of B and widths (C0, C1, C2):
    x (B, 1, 28, 28) -> conv_in (B, C0, 28, 28) -> res -> down (B, C1, 14, 14) -> res
    -> down (B, C2, 7, 7) -> res + attention -> middle (res, attention, res)
    -> up path with skip concatenations, mirrored -> conv_out (B, 1, 28, 28).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal_embedding(s: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """(B,) or (B, 1) noise levels in [0, 1] -> (B, dim) [sin, cos] features (Vaswani et al. 2017),
    frequencies 1 .. 1/10000 on s * scale, as diffusers' ``get_timestep_embedding``
    (flip_sin_to_cos=False, downscale_freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=s.device, dtype=torch.float32) / half)
    args = s.reshape(-1, 1).float() * scale * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def group_norm(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, c // 4), c)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, scale/shift by the embedding, GroupNorm-SiLU-conv, plus the skip."""

    def __init__(self, cin: int, cout: int, emb_dim: int):
        super().__init__()
        self.norm1, self.conv1 = group_norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2, self.conv2 = group_norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity: stable early training
        nn.init.zeros_(self.conv2.bias)  # type: ignore[arg-type]  # Conv2d has a bias unless bias=False

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)   # (B, cout, 1, 1) each
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(F.silu(h))


class Attention(nn.Module):
    """Multi-head self-attention over the H*W positions of a (B, C, H, W) map, residual."""

    def __init__(self, c: int, heads: int = 4):
        super().__init__()
        self.norm = group_norm(c)
        self.attn = nn.MultiheadAttention(c, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        seq = self.norm(x).reshape(b, c, h * w).transpose(1, 2)          # (B, HW, C)
        out, _ = self.attn(seq, seq, seq, need_weights=False)
        return x + out.transpose(1, 2).reshape(b, c, h, w)


@dataclass(frozen=True)
class ImprovedConfig:
    """What rebuilds a section-15 network from its weights alone (stored with them): the objective it
    was trained on ("ddpm": noise on a cosine schedule of T steps; "flow": velocity, no schedule), the
    widths and attention of ``ImprovedUNet``, and the epoch its weights are from."""

    objective: str
    widths: tuple[int, int, int]
    attention: bool
    T: int
    epoch: int

    @classmethod
    def from_json(cls, d: dict) -> "ImprovedConfig":
        return cls(**{**d, "widths": tuple(d["widths"])})

    def build(self) -> "ImprovedUNet":
        return ImprovedUNet(self.widths, attention=self.attention)


class ImprovedUNet(nn.Module):
    """f(x, s, c): x (B, 1, 28, 28); s (B, 1) noise level in [0, 1]; c (B, 10) one-hot or zeros
    (the null class of CFG). ``attention=False`` drops the 7 x 7 attention (the ablation)."""

    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128), n_classes: int = 10,
                 attention: bool = True):
        super().__init__()
        c0, c1, c2 = widths
        e = 4 * c0
        self.widths, self.n_classes, self.emb_dim = tuple(widths), n_classes, e
        self.time_mlp = nn.Sequential(nn.Linear(c0, e), nn.SiLU(), nn.Linear(e, e))
        self.class_emb = nn.Linear(n_classes, e)   # zeros -> its bias: a learned null embedding
        attn = (lambda c: Attention(c)) if attention else (lambda c: nn.Identity())
        self.conv_in = nn.Conv2d(1, c0, 3, padding=1)
        self.down0 = ResBlock(c0, c0, e)                                      # 28
        self.pool1, self.down1 = nn.Conv2d(c0, c1, 3, 2, 1), ResBlock(c1, c1, e)   # 14
        self.pool2, self.down2 = nn.Conv2d(c1, c2, 3, 2, 1), ResBlock(c2, c2, e)   # 7
        self.attn2 = attn(c2)
        self.mid1, self.mid_attn, self.mid2 = ResBlock(c2, c2, e), attn(c2), ResBlock(c2, c2, e)
        self.up2, self.up_attn2 = ResBlock(2 * c2, c2, e), attn(c2)          # 7
        self.unpool1, self.up1 = nn.ConvTranspose2d(c2, c1, 4, 2, 1), ResBlock(2 * c1, c1, e)  # 14
        self.unpool0, self.up0 = nn.ConvTranspose2d(c1, c0, 4, 2, 1), ResBlock(2 * c0, c0, e)  # 28
        self.norm_out, self.conv_out = group_norm(c0), nn.Conv2d(c0, 1, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, s: torch.Tensor, c: Optional[torch.Tensor] = None) -> torch.Tensor:
        if x.shape[-2:] != (28, 28):
            raise ValueError(f"the improved UNet takes (B, 1, 28, 28) images, got {tuple(x.shape)}")
        if c is None:
            c = x.new_zeros(x.shape[0], self.n_classes)
        emb = self.time_mlp(sinusoidal_embedding(s, self.widths[0])) + self.class_emb(c)
        emb = F.silu(emb)
        h0 = self.down0(self.conv_in(x), emb)
        h1 = self.down1(self.pool1(h0), emb)
        h2 = self.attn2(self.down2(self.pool2(h1), emb))
        m = self.mid2(self.mid_attn(self.mid1(h2, emb)), emb)
        u2 = self.up_attn2(self.up2(torch.cat([m, h2], 1), emb))
        u1 = self.up1(torch.cat([self.unpool1(u2), h1], 1), emb)
        u0 = self.up0(torch.cat([self.unpool0(u1), h0], 1), emb)
        return self.conv_out(F.silu(self.norm_out(u0)))
