"""Noise schedules and the timestep bookkeeping that every process shares.

Tables are built once in float64 and then only read (docs/architecture.md, conventions). ``abar[t]`` is
0-indexed as in diffusers: t = 0 is the least noisy step and t = T - 1 the
noisiest. ``abar_at(abar, -1)`` is 1: the clean image, where the last strided
step lands.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import torch


def linear_betas(T: int, beta_start: float, beta_end: float) -> torch.Tensor:
    """(T,) float64 betas, linear as in DDPM (Ho et al. 2020, section 4)."""
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_betas(T: int, max_beta: float = 0.999) -> torch.Tensor:
    """(T,) float64 betas of the cosine schedule (Nichol & Dhariwal 2021, eq. 17).

    diffusers calls it "squaredcos_cap_v2"; DeepFloyd IF is trained with it.
    """
    def abar(s: float) -> float:
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - abar((i + 1) / T) / abar(i / T), max_beta) for i in range(T)]
    return torch.tensor(betas, dtype=torch.float64)


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """(T,) float64 abar[t] = prod_{s <= t} (1 - beta_s)."""
    return torch.cumprod(1.0 - betas.double(), dim=0)


def abar_at(abar: torch.Tensor, t: int) -> torch.Tensor:
    """Scalar abar[t]; t = -1 means the clean image (abar = 1), as in diffusers."""
    if t < 0:
        return torch.ones((), dtype=abar.dtype)
    return abar[t]


def extract(table: torch.Tensor, t: torch.Tensor, ndim: int) -> torch.Tensor:
    """Gather table[t] for a batch of timesteps t (B,) and shape it (B, 1, ..., 1) to broadcast."""
    out = table.to(t.device)[t].float()
    return out.reshape(t.shape[0], *([1] * (ndim - 1)))


def scale_timestep(t_ref: int, T: int, T_ref: int = 1000) -> int:
    """A timestep given for a T_ref-step schedule (DeepFloyd's 1000-step units, docs/course.md) on a T-step one."""
    return min(T - 1, max(0, round(t_ref * T / T_ref)))


def strided_timesteps(T: int, start: int = 990, stride: int = 30, T_ref: int = 1000) -> list[int]:
    """The course's strided schedule (docs/course.md) [990, 960, ..., 30, 0], scaled to a T-step model.

    For T = 1000 this is exactly the course's list; for T = 300 it is
    [297, 288, ..., 9, 0]: the same 34 steps, so ``i_start`` means the same
    fraction of the trajectory on every backend.
    """
    s = scale_timestep(start, T, T_ref)
    k = max(1, round(stride * T / T_ref))
    steps = list(range(s, -1, -k))
    if steps[-1] != 0:
        steps.append(0)
    return steps


@dataclass(frozen=True)
class Schedule:
    """What a sampler walks along: the model's cumulative alphas ``abar`` (T,), the 0-indexed timesteps it
    visits from the noisiest down (the strided [990, 960, ..., 0], or all T), and how the clean-image
    estimate is kept in range (``clamp_x0``: the model's clipping, the identity by default). One object
    instead of the table, the steps and the clipping carried loose through every sampler and edit."""

    abar: torch.Tensor
    timesteps: list[int]
    clamp_x0: Callable[[torch.Tensor], torch.Tensor] = field(default=lambda x0: x0)

    @classmethod
    def of(cls, backend, timesteps: list[int]) -> "Schedule":
        """``timesteps`` on a Part A backend's schedule, with its clipping."""
        return cls(backend.abar, list(timesteps), backend.clamp_x0)

    def from_step(self, i: int) -> "Schedule":
        """The same schedule entered at its i-th timestep (SDEdit, iterative denoising)."""
        return replace(self, timesteps=self.timesteps[i:])
