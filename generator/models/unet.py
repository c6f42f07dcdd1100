"""The scratch UNets of the course, Part B (docs/course.md), for 28x28 MNIST (D = hidden width).

Shapes for a batch of B: input (B, 1, 28, 28) -> output (B, 1, 28, 28).
The trunk is shared; time and class conditioning modulate two places,
the Unflatten output (2D @ 7) and the first UpBlock output (D @ 14).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn


def conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.GELU())


def down_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1), nn.BatchNorm2d(cout), nn.GELU())


def up_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.GELU())


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(conv(cin, cout), conv(cout, cout))


def down_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(down_conv(cin, cout), conv_block(cout, cout))


def up_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(up_conv(cin, cout), conv_block(cout, cout))


def fc_block(cin: int, cout: int) -> nn.Sequential:
    """FCBlock = Linear + GELU + Linear."""
    return nn.Sequential(nn.Linear(cin, cout), nn.GELU(), nn.Linear(cout, cout))


Modulation = Optional[tuple[torch.Tensor, torch.Tensor]]  # (scale, shift), each (B, C)


class UNetTrunk(nn.Module):
    def __init__(self, D: int):
        super().__init__()
        self.D = D
        self.first = conv_block(1, D)                    # (B, D, 28, 28)
        self.down1 = down_block(D, D)                    # (B, D, 14, 14)
        self.down2 = down_block(D, 2 * D)                # (B, 2D, 7, 7)
        self.flatten = nn.Sequential(nn.AvgPool2d(7), nn.GELU())  # (B, 2D, 1, 1)
        self.unflatten = nn.Sequential(nn.ConvTranspose2d(2 * D, 2 * D, 7, 7, 0), nn.BatchNorm2d(2 * D), nn.GELU())
        self.up1 = up_block(4 * D, D)                    # cat(unflatten, down2) -> (B, D, 14, 14)
        self.up2 = up_block(2 * D, D)                    # cat(up1, down1) -> (B, D, 28, 28)
        self.last = conv_block(2 * D, D)                 # cat(up2, first)
        self.out = nn.Conv2d(D, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor, mod1: Modulation = None, mod2: Modulation = None) -> torch.Tensor:
        if x.shape[-2:] != (28, 28):
            raise ValueError(f"the scratch UNet takes (B, 1, 28, 28) images, got {tuple(x.shape)}")
        e1 = self.first(x)
        e2 = self.down1(e1)
        e3 = self.down2(e2)
        u0 = _modulate(self.unflatten(self.flatten(e3)), mod1)
        u1 = _modulate(self.up1(torch.cat([u0, e3], dim=1)), mod2)
        u2 = self.up2(torch.cat([u1, e2], dim=1))
        return self.out(self.last(torch.cat([u2, e1], dim=1)))


def _modulate(h: torch.Tensor, mod: Modulation) -> torch.Tensor:
    if mod is None:
        return h
    scale, shift = mod
    return scale[:, :, None, None] * h + shift[:, :, None, None]


class UnconditionalUNet(nn.Module):
    """Section 13's single-step denoiser D(z) ~ x."""

    def __init__(self, D: int = 128):
        super().__init__()
        self.trunk = UNetTrunk(D)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.trunk(z)


class TimeConditionalUNet(nn.Module):
    """eps_theta(x_t, t): fc1(t) is added to the Unflatten output, fc2(t) to up1."""

    def __init__(self, D: int = 64):
        super().__init__()
        self.trunk = UNetTrunk(D)
        self.fc1_t = fc_block(1, 2 * D)
        self.fc2_t = fc_block(1, D)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x (B, 1, 28, 28); t (B, 1) in (0, 1]."""
        t1, t2 = self.fc1_t(t), self.fc2_t(t)
        return self.trunk(x, (torch.ones_like(t1), t1), (torch.ones_like(t2), t2))


class ClassConditionalUNet(nn.Module):
    """eps_theta(x_t, t, c): unflatten = c1 * unflatten + t1, up1 = c2 * up1 + t2.

    c is a (B, 10) one-hot vector; the all-zero vector is the null class of CFG.
    """

    def __init__(self, D: int = 64, n_classes: int = 10):
        super().__init__()
        self.n_classes = n_classes
        self.trunk = UNetTrunk(D)
        self.fc1_t = fc_block(1, 2 * D)
        self.fc2_t = fc_block(1, D)
        self.fc1_c = fc_block(n_classes, 2 * D)
        self.fc2_c = fc_block(n_classes, D)

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """x (B, 1, 28, 28); t (B, 1) in (0, 1]; c (B, 10) one-hot or zeros."""
        return self.trunk(x, (self.fc1_c(c), self.fc1_t(t)), (self.fc2_c(c), self.fc2_t(t)))


NETWORKS: dict[str, type[nn.Module]] = {"unconditional": UnconditionalUNet, "time": TimeConditionalUNet,
                                        "class": ClassConditionalUNet}


@dataclass(frozen=True)
class CourseConfig:
    """What rebuilds a course UNet from its weights alone (stored with them: ``artifacts.Checkpoint``):
    the network, its width, the epochs whose weights the checkpoint keeps, and the linear DDPM
    schedule it was trained on (T = 0 for the single-step denoiser, which has none)."""

    network: str                    # a key of NETWORKS
    D: int
    kept_epochs: tuple[int, ...]
    T: int = 0
    beta_start: float = 0.0
    beta_end: float = 0.0

    @classmethod
    def of(cls, network: type[nn.Module], D: int, kept_epochs, **schedule) -> "CourseConfig":
        name = next(k for k, v in NETWORKS.items() if v is network)
        return cls(name, D, tuple(kept_epochs), **schedule)

    @classmethod
    def from_json(cls, d: dict) -> "CourseConfig":
        return cls(**{**d, "kept_epochs": tuple(d["kept_epochs"])})

    def build(self) -> nn.Module:
        return NETWORKS[self.network](self.D)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
