"""Section 13: train the single-step denoising UNet D(z) ~ x at sigma = 0.5."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ..constraints import TWO_EPOCHS, kept_within
from ..diffusion.ddpm import denoiser_loss
from ..models.unet import UnconditionalUNet, parameter_count
from ..train import TrainConfig, seeded_init, snapshot_tensors, train, training_log

SECTION = 13
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics"}


@dataclass
class Params:
    sigma: float = 0.5        # training noise level of z = x + sigma * eps
    batch_size: int = 256
    epochs: int = 5
    D: int = 128              # hidden width of the UNet
    lr: float = 1e-4          # Adam
    keep_epochs: Annotated[tuple[int, ...], TWO_EPOCHS] = (1, 5)  # the epochs whose results the page shows

    def problems(self) -> list[str]:
        return kept_within(self.keep_epochs, self.epochs)


def run(p: Params, ctx) -> dict:
    data = ctx.mnist
    model = seeded_init(lambda: UnconditionalUNet(p.D), ctx.seed)
    result = train(
        model,
        lambda m, x, y, g: denoiser_loss(m, x, p.sigma, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, keep_epochs=p.keep_epochs),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress,
    )
    return {"weights": snapshot_tensors(result),
            "log": training_log(result, parameter_count(model), data.description, len(data.train_x))}
