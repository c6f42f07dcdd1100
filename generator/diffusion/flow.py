"""The flow-matching (rectified flow) training objective of the section-15 models.

Convention (as diffusers' ``FlowMatchEulerDiscreteScheduler``): a noise level s in [0, 1]
mixes data x0 and noise eps on a straight line,

    x_s = (1 - s) x0 + s eps,          s = 0: data, s = 1: pure noise,

and the network learns the velocity v = dx_s/ds = eps - x0 (Lipman et al. 2023;
Liu et al. 2023, "rectified flow"). Sampling, and the exact link to DDPM, are in
``flow_sampling.py`` (kept apart so that the trained models' cache keys do not cover them).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F


def interpolate(x0: torch.Tensor, eps: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """x_s = (1 - s) x0 + s eps; s broadcasts against x0 ((B, 1, 1, 1) or a scalar)."""
    return (1 - s) * x0 + s * eps


def flow_loss(model: Callable, x0: torch.Tensor, generator: torch.Generator,
              c: Optional[torch.Tensor] = None) -> torch.Tensor:
    """||v_theta(x_s, s[, c]) - (eps - x0)||^2 with s ~ U[0, 1], mean over pixels.

    x0 (B, C, H, W) in model space; the network gets s as a (B, 1) input, like the
    DDPM models get (t + 1) / T.
    """
    b = x0.shape[0]
    s = torch.rand(b, generator=generator, device=generator.device).to(x0.device)
    eps = torch.randn(x0.shape, generator=generator, device=generator.device).to(x0.device)
    x_s = interpolate(x0, eps, s.reshape(b, 1, 1, 1))
    args = (x_s, s[:, None]) if c is None else (x_s, s[:, None], c)
    return F.mse_loss(model(*args), eps - x0)
