"""Section 14: train the time-conditioned DDPM eps_theta(x_t, t)."""
from __future__ import annotations

from ..diffusion.ddpm import eps_loss
from ..models.unet import TimeConditionalUNet
from ._ddpm_train import DDPMParams as Params, train_ddpm

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics"}


def run(p: Params, ctx) -> dict:
    return train_ddpm(TimeConditionalUNet, lambda m, x, y, abar, g: eps_loss(m, x, abar, g), p, ctx)
