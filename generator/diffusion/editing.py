"""Image editing by partial denoising: SDEdit and RePaint-style inpainting."""
from __future__ import annotations

from typing import Callable

import torch

from .forward import forward
from .sampling import EpsFn, Trajectory, denoise
from .schedule import Schedule


def sdedit(
    eps_fn: EpsFn,
    x_orig: torch.Tensor,
    schedule: Schedule,
    i_start: int,
    generator: torch.Generator,
    **denoise_kwargs,
) -> tuple[torch.Tensor, Trajectory]:
    """SDEdit (Meng et al. 2022): noise x_orig to the schedule's timestep i_start, then denoise from there.

    Small i_start = much noise = a large edit; large i_start stays close to x_orig.
    """
    x_t = forward(x_orig, schedule.timesteps[i_start], schedule.abar, generator)
    return denoise(eps_fn, x_t, schedule.from_step(i_start), generator, **denoise_kwargs)


def repaint_projection(
    x_orig: torch.Tensor, mask: torch.Tensor, abar: torch.Tensor, generator: torch.Generator
) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """After each step: x_t <- m x_t + (1 - m) forward(x_orig, t)  (docs/course.md; Lugmayr et al. 2022).

    mask (1, 1, H, W) or (B, C, H, W): 1 marks the region to regenerate. At t = -1
    (after the last step) forward returns x_orig itself, so outside the mask the
    result equals the original exactly.
    """
    def project(x_t: torch.Tensor, t: int) -> torch.Tensor:
        known = forward(x_orig, t, abar, generator)
        return mask * x_t + (1 - mask) * known

    return project


def inpaint(
    eps_fn: EpsFn,
    x_orig: torch.Tensor,
    mask: torch.Tensor,
    schedule: Schedule,
    generator: torch.Generator,
    **denoise_kwargs,
) -> tuple[torch.Tensor, Trajectory]:
    """Inpainting from pure noise at the schedule's first timestep, keeping x_orig outside the mask."""
    x = torch.randn(x_orig.shape, generator=generator, device=generator.device, dtype=x_orig.dtype).to(x_orig.device)
    project = repaint_projection(x_orig, mask, schedule.abar, generator)
    return denoise(eps_fn, project(x, schedule.timesteps[0]), schedule, generator, project=project, **denoise_kwargs)
