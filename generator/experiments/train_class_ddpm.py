"""Section 14: train the class-conditioned DDPM eps_theta(x_t, t, c), with label dropout for CFG,
drawing each digit after every epoch.

This model is also the scratch backend that runs Part A where DeepFloyd is absent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
import torch.nn.functional as F

from ..constraints import GUIDANCE, PROBABILITY
from ..diffusion.ddpm import drop_labels, eps_loss
from ..diffusion.sampling import guided
from ..models.scratch_backend import ScratchBackend
from ..models.unet import ClassConditionalUNet
from ._ddpm_train import LOOK_SAMPLES, DDPMParams, look_samples, train_ddpm

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics", "looks": "checkpoint", "run": "table"}


@dataclass
class Params(DDPMParams):
    p_uncond: Annotated[float, PROBABILITY] = 0.1     # probability of zeroing the one-hot class (the null condition)
    look_gamma: Annotated[float, GUIDANCE] = 5.0   # CFG scale of the samples drawn after every epoch (section 14's)


def run(p: Params, ctx) -> dict:
    def loss(m, x, y, abar, g):
        return eps_loss(m, x, abar, g, drop_labels(F.one_hot(y, 10).float(), p.p_uncond, g))

    def look(abar):
        digits = torch.arange(LOOK_SAMPLES).remainder(10).to(ctx.device)   # 0..9

        def draw(model):
            backend = ScratchBackend(model.state_dict(), p.D, p.T, p.beta_start, p.beta_end, ctx.device)
            eps_fn = guided(backend, F.one_hot(digits, 10).float(), torch.zeros(1, 10, device=ctx.device),
                            p.look_gamma)
            # the same noise every epoch (seed + 1): each tile is one sample growing up
            return look_samples(eps_fn, abar, ctx.generator(1), ctx.device)
        return draw

    return train_ddpm(ClassConditionalUNet, loss, p, ctx, look)
