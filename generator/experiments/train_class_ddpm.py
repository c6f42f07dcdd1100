"""Section 14: train the class-conditioned DDPM eps_theta(x_t, t, c), with label dropout for CFG.

This model is also the scratch backend that runs Part A where DeepFloyd is absent.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from ..diffusion.ddpm import drop_labels, eps_loss
from ..models.unet import ClassConditionalUNet
from ._ddpm_train import DDPMParams, train_ddpm

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics"}


@dataclass
class Params(DDPMParams):
    p_uncond: float = 0.1     # probability of zeroing the one-hot class (the null condition)


def run(p: Params, ctx) -> dict:
    def loss(m, x, y, abar, g):
        return eps_loss(m, x, abar, g, drop_labels(F.one_hot(y, 10).float(), p.p_uncond, g))

    return train_ddpm(ClassConditionalUNet, loss, p, ctx)
