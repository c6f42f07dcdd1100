"""Section 13: train the single-step denoising UNet D(z) ~ x at sigma = 0.5, denoising the same test
digits after every epoch."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated

import torch

from ..artifacts import Checkpoint
from ..constraints import BATCH, EPOCHS, LEARNING_RATE, NOISE_LEVEL, NON_EMPTY, TWO_EPOCHS, WIDTH, each, kept_within
from ..diffusion.ddpm import denoiser_loss, noisy_pair
from ..models.inference import for_sampling
from ..models.unet import CourseConfig, UnconditionalUNet, parameter_count
from ..train import TrainConfig, seeded_init, snapshot_tensors, training_log
from ._training_run import device_words, run_table
from ._watched import train_watched

SECTION = 13
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics", "looks": "checkpoint", "run": "table"}


@dataclass
class Params:
    sigma: Annotated[float, NOISE_LEVEL] = 0.5        # training noise level of z = x + sigma * eps
    batch_size: Annotated[int, BATCH] = 256
    epochs: Annotated[int, EPOCHS] = 5
    D: Annotated[int, WIDTH] = 128              # hidden width of the UNet
    lr: Annotated[float, LEARNING_RATE] = 1e-4          # Adam
    # the epochs whose results the page shows: the model is measured after each (test error by noise
    # level) and the weights of the last are kept (for the figures that need the final model)
    keep_epochs: Annotated[tuple[int, ...], TWO_EPOCHS] = (1, 5)
    # noise levels of the test error, measured on every held-out digit after each kept epoch
    test_sigmas: Annotated[list[float], NON_EMPTY, each(NOISE_LEVEL)] = field(
        default_factory=lambda: [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0])

    def problems(self) -> list[str]:
        return kept_within(self.keep_epochs, self.epochs)


@torch.no_grad()
def mse_by_sigma(model, x: torch.Tensor, sigmas: list[float], g: torch.Generator) -> list[float]:
    """Mean squared error of D(x + sigma eps) against x, (N, 1, 28, 28) test digits, per sigma."""
    return [float(torch.mean((model(noisy_pair(x, s, g)) - x) ** 2)) for s in sigmas]


def run(p: Params, ctx) -> dict:
    data = ctx.mnist
    model = seeded_init(lambda: UnconditionalUNet(p.D), ctx.seed)
    # looks: the first test image of each digit 0..9, noised once (seed + 1), the same inputs after
    # every epoch; rows clean, noisy, denoised
    first = [int((data.test_y == d).nonzero()[0]) for d in range(10)]
    clean = data.test_x[first]
    noisy = noisy_pair(clean, p.sigma, ctx.generator(1))

    def look(m):   # unclamped, so a look can be checked against the weights (the figure clamps)
        denoised = for_sampling(m)(noisy.to(ctx.device)).cpu()
        return [list(clean), list(noisy), list(denoised)]

    def measure(m) -> dict:   # the same noise after every kept epoch (seed + 2)
        mse = mse_by_sigma(for_sampling(m), data.test_x.to(ctx.device), p.test_sigmas, ctx.generator(2))
        return {"test_mse": [round(v, 5) for v in mse], "sigmas": list(p.test_sigmas), "test_images": len(data.test_x)}

    watched = train_watched(
        model,
        lambda m, x, y, g: denoiser_loss(m, x, p.sigma, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, keep_epochs=p.keep_epochs[-1:]),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress, look, range(1, p.epochs + 1),  # ten digits: every epoch
        measure, p.keep_epochs,
    )
    log = training_log(watched.result, parameter_count(model), data.description, len(data.train_x),
                       p.batch_size, watched.look_seconds)
    log["measurements"] = {str(e): m for e, m in watched.measurements.items()}
    config = CourseConfig.of(UnconditionalUNet, p.D, p.keep_epochs[-1:])
    return {"weights": Checkpoint(snapshot_tensors(watched.result), asdict(config)), "looks": watched.looks, "log": log,
            "run": run_table(log, device_words(ctx.device))}
