"""The forward process q(x_t | x_0) and its inversion (SPEC, Notation)."""
from __future__ import annotations

import torch

from .schedule import abar_at


def q_sample(x0: torch.Tensor, t: int, abar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps   (DDPM eq. 4). t = -1 returns x0."""
    a = abar_at(abar, t).to(x0.device)
    return (a.sqrt() * x0.double() + (1 - a).sqrt() * noise.double()).to(x0.dtype)


def forward(x0: torch.Tensor, t: int, abar: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """q_sample with fresh noise drawn from ``generator``."""
    noise = torch.randn(x0.shape, generator=generator, device=generator.device, dtype=x0.dtype)
    return q_sample(x0, t, abar, noise.to(x0.device))


def predict_start_from_noise(x_t: torch.Tensor, t: int, abar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x0_hat = (x_t - sqrt(1 - abar[t]) eps_hat) / sqrt(abar[t])   (DDPM eq. 15)."""
    a = abar_at(abar, t).to(x_t.device)
    return ((x_t.double() - (1 - a).sqrt() * eps.double()) / a.sqrt()).to(x_t.dtype)
