"""What the two section-14 trainings share: the course's parameters (docs/course.md) and the training call."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Callable

import torch
from torch import nn

from ..artifacts import Checkpoint
from ..constraints import (BATCH, BETA, EPOCHS, LEARNING_RATE, NON_EMPTY, STEPS_T, TWO_EPOCHS, WIDTH, each, increasing,
                           kept_within)
from ..diffusion.sampling import EpsFn, denoise
from ..diffusion.schedule import Schedule, alphas_cumprod, linear_betas
from ..models.unet import CourseConfig, parameter_count
from ..train import TrainConfig, seeded_init, snapshot_tensors, training_log
from ._training_run import device_words, run_table
from ._watched import Look, train_watched

LOOK_SAMPLES = 10   # samples drawn at each look (the row of ten the page shows), from the same noise each time


def looks_within(look_epochs: tuple[int, ...], epochs: int) -> list[int]:
    """The epochs of ``look_epochs`` that a training of ``epochs`` reaches, and always its last one."""
    return sorted({e for e in look_epochs if e < epochs} | {epochs})


def look_samples(eps_fn: EpsFn, abar: torch.Tensor, g: torch.Generator, device) -> list[list[torch.Tensor]]:
    """LOOK_SAMPLES samples by the course's DDPM sampler (x_T ~ N(0, I), then every timestep down to 0,
    as ``_partb.ddpm_sample``), as one row of (1, 28, 28) tiles in [0, 1]."""
    x = torch.randn((LOOK_SAMPLES, 1, 28, 28), generator=g).to(device)
    x, _ = denoise(eps_fn, x, Schedule(abar, list(range(abar.shape[0] - 1, -1, -1))), g)
    return [list(x.clamp(0, 1))]


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
    # the epochs after which the model draws LOOK_SAMPLES samples for the page's epoch scrubber (those
    # past ``epochs`` are skipped; the last epoch is always looked at): every epoch while the samples
    # change fast, then spaced out. A look (300 steps for ten samples, twice that with guidance) costs
    # about a quarter of an epoch on 4,000 digits: looking after all 20 epochs would add half again
    # to the class model's training, these nine add about a fifth
    look_epochs: Annotated[tuple[int, ...], NON_EMPTY, each(EPOCHS)] = (1, 2, 3, 4, 5, 7, 10, 14, 20)

    def problems(self) -> list[str]:
        return (kept_within(self.keep_epochs, self.epochs) + increasing(self.look_epochs, "look_epochs")
                + increasing((self.beta_start, self.beta_end), "(beta_start, beta_end)"))


def train_ddpm(network: type[nn.Module], loss: Callable, p: DDPMParams, ctx, look: Callable[[torch.Tensor], Look]) -> dict:
    """Train ``network(D)`` on MNIST with ``loss(model, x0, y, abar, generator)``, looking after every
    epoch through ``look(abar)``; the experiment's artifacts: fp16 weights of the kept epochs, the
    training log and the looks (``_watched``)."""
    data = ctx.mnist
    abar = alphas_cumprod(linear_betas(p.T, p.beta_start, p.beta_end))
    model = seeded_init(lambda: network(p.D), ctx.seed)
    watched = train_watched(
        model,
        lambda m, x, y, g: loss(m, x, y, abar, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, 0.1 ** (1 / p.epochs), keep_epochs=p.keep_epochs),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress, look(abar), looks_within(p.look_epochs, p.epochs),
    )
    log = training_log(watched.result, parameter_count(model), data.description, len(data.train_x),
                       p.batch_size, watched.look_seconds)
    config = CourseConfig.of(network, p.D, p.keep_epochs, T=p.T, beta_start=p.beta_start, beta_end=p.beta_end)
    return {"weights": Checkpoint(snapshot_tensors(watched.result), asdict(config)), "looks": watched.looks, "log": log,
            "run": run_table(log, device_words(ctx.device))}
