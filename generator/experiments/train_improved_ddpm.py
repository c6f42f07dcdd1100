"""Section 15: the improved UNet trained as a DDPM: eps-prediction on a cosine schedule, T = 1000."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch.nn.functional as F

from ..constraints import STEPS_T
from ..diffusion.ddpm import drop_labels, eps_loss
from ..diffusion.schedule import alphas_cumprod, cosine_betas
from ._improved_train import ImprovedParams, train_improved

SECTION = 15
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics", "run": "table"}


@dataclass
class Params(ImprovedParams):
    T: Annotated[int, STEPS_T] = 1000   # cosine schedule (Nichol & Dhariwal 2021), DeepFloyd's: Part A's timesteps apply unscaled


def run(p: Params, ctx) -> dict:
    abar = alphas_cumprod(cosine_betas(p.T))

    def loss(m, x, y, g):
        return eps_loss(m, x, abar, g, drop_labels(F.one_hot(y, 10).float(), p.p_uncond, g))

    return train_improved(loss, p, ctx, "ddpm", p.T)
