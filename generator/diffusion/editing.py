"""Image editing by partial denoising: SDEdit and RePaint-style inpainting."""
from __future__ import annotations

from typing import Callable

import torch

from .forward import forward
from .sampling import EpsFn, Trajectory, denoise


def sdedit(
    eps_fn: EpsFn,
    x_orig: torch.Tensor,
    timesteps: list[int],
    i_start: int,
    abar: torch.Tensor,
    generator: torch.Generator,
    **denoise_kwargs,
) -> tuple[torch.Tensor, Trajectory]:
    """SDEdit (Meng et al. 2022): noise x_orig to timesteps[i_start], then denoise from there.

    Small i_start = much noise = a large edit; large i_start stays close to x_orig.
    """
    x_t = forward(x_orig, timesteps[i_start], abar, generator)
    return denoise(eps_fn, x_t, timesteps[i_start:], abar, generator, **denoise_kwargs)


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
    timesteps: list[int],
    abar: torch.Tensor,
    generator: torch.Generator,
    **denoise_kwargs,
) -> tuple[torch.Tensor, Trajectory]:
    """Inpainting from pure noise at timesteps[0], keeping x_orig outside the mask."""
    x = torch.randn(x_orig.shape, generator=generator, device=generator.device, dtype=x_orig.dtype).to(x_orig.device)
    project = repaint_projection(x_orig, mask, abar, generator)
    return denoise(eps_fn, project(x, timesteps[0]), timesteps, abar, generator, project=project, **denoise_kwargs)
