"""What the two section-14 trainings share: the course's parameters (docs/course.md) and the training call."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable

import torch

from ..constraints import BATCH, BETA, EPOCHS, LEARNING_RATE, STEPS_T, TWO_EPOCHS, WIDTH, increasing, kept_within
from ..diffusion.sampling import EpsFn, denoise
from ..diffusion.schedule import alphas_cumprod, linear_betas
from ..models.unet import parameter_count
from ..train import TrainConfig, seeded_init, snapshot_tensors, training_log
from ._watched import Look, train_watched

LOOK_SAMPLES = 20   # samples drawn after every epoch (two rows of ten), from the same noise each time


def look_samples(eps_fn: EpsFn, abar: torch.Tensor, g: torch.Generator, device) -> list[list[torch.Tensor]]:
    """LOOK_SAMPLES samples by the course's DDPM sampler (x_T ~ N(0, I), then every timestep down to 0,
    as ``_partb.ddpm_sample``), as two rows of ten (1, 28, 28) tiles in [0, 1]."""
    x = torch.randn((LOOK_SAMPLES, 1, 28, 28), generator=g).to(device)
    x, _ = denoise(eps_fn, x, list(range(abar.shape[0] - 1, -1, -1)), abar, g)
    x = x.clamp(0, 1)
    return [list(x[i:i + 10]) for i in range(0, LOOK_SAMPLES, 10)]


@dataclass
class DDPMParams:
    T: Annotated[int, STEPS_T] = 300
    beta_start: Annotated[float, BETA] = 1e-4
    beta_end: Annotated[float, BETA] = 0.02
    batch_size: Annotated[int, BATCH] = 128
    epochs: Annotated[int, EPOCHS] = 20
    D: Annotated[int, WIDTH] = 64
    lr: Annotated[float, LEARNING_RATE] = 1e-3          # Adam; ExponentialLR decays it to lr / 10 over all epochs
    # the results after these epochs are kept and shown (section 14 compares 5 and 20)
    keep_epochs: Annotated[tuple[int, ...], TWO_EPOCHS] = (5, 20)

    def problems(self) -> list[str]:
        return (kept_within(self.keep_epochs, self.epochs)
                + increasing((self.beta_start, self.beta_end), "(beta_start, beta_end)"))


def train_ddpm(network: Callable, loss: Callable, p: DDPMParams, ctx, look: Callable[[torch.Tensor], Look]) -> dict:
    """Train ``network(D)`` on MNIST with ``loss(model, x0, y, abar, generator)``, looking after every
    epoch through ``look(abar)``; the experiment's artifacts: fp16 weights of the kept epochs, the
    training log and the looks (``_watched``)."""
    data = ctx.mnist
    abar = alphas_cumprod(linear_betas(p.T, p.beta_start, p.beta_end))
    model = seeded_init(lambda: network(p.D), ctx.seed)
    result, looks = train_watched(
        model,
        lambda m, x, y, g: loss(m, x, y, abar, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, 0.1 ** (1 / p.epochs), keep_epochs=p.keep_epochs),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress, look(abar),
    )
    return {"weights": snapshot_tensors(result),
            "looks": looks,
            "log": training_log(result, parameter_count(model), data.description, len(data.train_x))}
