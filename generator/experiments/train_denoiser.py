"""Section 13: train the single-step denoising UNet D(z) ~ x at sigma = 0.5, denoising the same test
digits after every epoch."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from ..artifacts import Checkpoint
from ..constraints import BATCH, EPOCHS, LEARNING_RATE, NOISE_LEVEL, TWO_EPOCHS, WIDTH, kept_within
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
    keep_epochs: Annotated[tuple[int, ...], TWO_EPOCHS] = (1, 5)  # the epochs whose results the page shows

    def problems(self) -> list[str]:
        return kept_within(self.keep_epochs, self.epochs)


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

    watched = train_watched(
        model,
        lambda m, x, y, g: denoiser_loss(m, x, p.sigma, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, keep_epochs=p.keep_epochs),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress, look, range(1, p.epochs + 1),  # ten digits: every epoch
    )
    log = training_log(watched.result, parameter_count(model), data.description, len(data.train_x),
                       p.batch_size, watched.look_seconds)
    config = CourseConfig.of(UnconditionalUNet, p.D, p.keep_epochs)
    return {"weights": Checkpoint(snapshot_tensors(watched.result), asdict(config)), "looks": watched.looks, "log": log,
            "run": run_table(log, device_words(ctx.device))}
