"""DDPM training objectives for the scratch models (docs/course.md, Part B).

Timesteps are 0-indexed into ``abar`` (t = 0 .. T-1); the network sees the
1-indexed step normalised to (0, 1]: (t + 1) / T, the course's "t / T with t in {1..T}".
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from .schedule import extract


def noisy_pair(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Section 13's noising z = x + sigma * eps (no scaling of x)."""
    eps = torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)
    return x + sigma * eps


def denoiser_loss(model: Callable, x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """L2 loss ||D(z) - x||^2 of the single-step denoiser, mean over pixels."""
    return F.mse_loss(model(noisy_pair(x, sigma, generator)), x)


def time_input(t: torch.Tensor, T: int) -> torch.Tensor:
    """(B,) 0-indexed t -> (B, 1) network input (t + 1) / T."""
    return ((t.float() + 1) / T).unsqueeze(1)


def drop_labels(c: torch.Tensor, p_uncond: float, generator: torch.Generator) -> torch.Tensor:
    """Zero each one-hot row of c (B, 10) with probability p_uncond (classifier-free guidance training)."""
    keep = torch.rand(c.shape[0], generator=generator, device=generator.device).to(c.device) >= p_uncond
    return c * keep.unsqueeze(1).to(c.dtype)


def eps_loss(
    model: Callable,
    x0: torch.Tensor,
    abar: torch.Tensor,
    generator: torch.Generator,
    c: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """||eps_theta(x_t, t[, c]) - eps||^2 with t uniform over the T steps (DDPM algorithm 1)."""
    T = abar.shape[0]
    b = x0.shape[0]
    t = torch.randint(0, T, (b,), generator=generator, device=generator.device).to(x0.device)
    eps = torch.randn(x0.shape, generator=generator, device=generator.device).to(x0.device)
    a = extract(abar, t, x0.ndim)
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
    args = (x_t, time_input(t, T)) if c is None else (x_t, time_input(t, T), c)
    return F.mse_loss(model(*args), eps)

