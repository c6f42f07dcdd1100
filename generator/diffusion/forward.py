"""The forward process q(x_t | x_0) and its inversion (docs/course.md)."""
from __future__ import annotations

import torch

from .schedule import abar_at


def _coef(c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A scalar coefficient, computed in the table's precision, cast to the image's dtype.

    The tensor arithmetic then runs in x's dtype in the same order as diffusers,
    which is what makes the fp32 comparison with IFPipeline exact to 1e-5.
    """
    return c.to(device=x.device, dtype=x.dtype)


def q_sample(x0: torch.Tensor, t: int, abar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps   (DDPM eq. 4). t = -1 returns x0."""
    a = abar_at(abar, t)
    return _coef(a.sqrt(), x0) * x0 + _coef((1 - a).sqrt(), x0) * noise.to(x0.dtype)


def forward(x0: torch.Tensor, t: int, abar: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """q_sample with fresh noise drawn from ``generator``."""
    noise = torch.randn(x0.shape, generator=generator, device=generator.device, dtype=x0.dtype)
    return q_sample(x0, t, abar, noise.to(x0.device))


def predict_start_from_noise(x_t: torch.Tensor, t: int, abar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x0_hat = (x_t - sqrt(1 - abar[t]) eps_hat) / sqrt(abar[t])   (DDPM eq. 15)."""
    a = abar_at(abar, t)
    return (x_t - _coef((1 - a).sqrt(), x_t) * eps.to(x_t.dtype)) / _coef(a.sqrt(), x_t)
