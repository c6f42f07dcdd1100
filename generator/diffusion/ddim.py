"""Few-step sampling of an eps-model: trailing timesteps, and the deterministic DDIM update.

``trailing_timesteps(T, n)`` spaces n steps as diffusers' ``timestep_spacing="trailing"``
(Lin et al. 2024): the first step is always the noisiest, T - 1, so every step count
starts from pure noise; n = T visits every step.

DDIM (Song et al. 2021, eq. 12 with sigma = 0): the same network, no fresh noise,
x_t' = sqrt(abar_t') x0_hat + sqrt(1 - abar_t') eps_hat, with eps_hat recomputed from the
clamped x0_hat (as GLIDE; diffusers' ``DDIMScheduler`` with ``clip_sample`` and
``use_clipped_model_output``), so x_t' stays on the line between them. It is the ODE
counterpart of the stochastic DDPM chain, and the fair comparison for a flow model's solver.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch

from .forward import predict_start_from_noise
from .sampling import EpsFn
from .schedule import abar_at


def trailing_timesteps(T: int, n: int) -> list[int]:
    """[T - 1, ..., ] with n entries: round(T - i T / n) - 1 for i < n."""
    if not 1 <= n <= T:
        raise ValueError(f"step count {n} must be between 1 and T = {T}")
    return [round(T - i * T / n) - 1 for i in range(n)]


def ddim_step(x: torch.Tensor, eps: torch.Tensor, t: int, t_prev: int, abar: torch.Tensor,
              clamp_x0: Callable[[torch.Tensor], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One deterministic step t -> t_prev (t_prev = -1: the clean image). Returns (x_t', x0_hat)."""
    x0 = clamp_x0(predict_start_from_noise(x, t, abar, eps))
    a, a_prev = abar_at(abar, t).to(x.device), abar_at(abar, t_prev).to(x.device, abar.dtype)
    eps = (x - a.sqrt().to(x.dtype) * x0) / (1 - a).sqrt().to(x.dtype)
    return a_prev.sqrt().to(x.dtype) * x0 + (1 - a_prev).sqrt().to(x.dtype) * eps, x0


def ddim_sample(eps_fn: EpsFn, x: torch.Tensor, timesteps: list[int], abar: torch.Tensor,
                clamp_x0: Callable[[torch.Tensor], torch.Tensor] = lambda x0: x0,
                record: Optional[Callable] = None) -> torch.Tensor:
    """Deterministic sampling over ``timesteps`` (noisiest first) down to the clean image.
    ``record(t, x_t, x0_hat)`` sees each step."""
    for i, t in enumerate(timesteps):
        t_prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        x_next, x0 = ddim_step(x, eps_fn(x, t).eps, t, t_prev, abar, clamp_x0)
        if record is not None:
            record(t, x, x0)
        x = x_next
    return x
