"""Section 14: train the time-conditioned DDPM eps_theta(x_t, t)."""
from __future__ import annotations

from dataclasses import dataclass

from ..diffusion.ddpm import eps_loss
from ..diffusion.schedule import alphas_cumprod, linear_betas
from ..models.unet import TimeConditionalUNet, parameter_count
from ..train import TrainConfig, seeded_init, snapshot_tensors, train, training_log

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics"}


@dataclass
class Params:
    T: int = 300
    beta_start: float = 1e-4
    beta_end: float = 0.02
    batch_size: int = 128
    epochs: int = 20
    D: int = 64
    lr: float = 1e-3          # Adam; ExponentialLR decays it to lr / 10 over all epochs
    keep_epochs: tuple[int, ...] = (5, 20)


def run(p: Params, ctx) -> dict:
    data = ctx.mnist
    abar = alphas_cumprod(linear_betas(p.T, p.beta_start, p.beta_end))
    model = seeded_init(lambda: TimeConditionalUNet(p.D), ctx.seed)
    result = train(
        model,
        lambda m, x, y, g: eps_loss(m, x, abar, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, 0.1 ** (1 / p.epochs), keep_epochs=p.keep_epochs),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress,
    )
    return {"weights": snapshot_tensors(result),
            "log": training_log(result, parameter_count(model), data.description, len(data.train_x))}
