"""Section 14: train the time-conditioned DDPM eps_theta(x_t, t), drawing samples after every epoch."""
from __future__ import annotations

import torch

from ..diffusion.ddpm import eps_loss, time_input
from ..diffusion.sampling import Prediction
from ..models.inference import for_sampling
from ..models.unet import TimeConditionalUNet
from ._ddpm_train import DDPMParams as Params, look_samples, train_ddpm

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics", "looks": "checkpoint", "run": "table"}


def run(p: Params, ctx) -> dict:
    def look(abar):
        def draw(model):
            net = for_sampling(model)

            def eps_fn(x, t):   # x (B, 1, 28, 28), t an integer timestep
                return Prediction(net(x, time_input(torch.full((x.shape[0],), t, device=x.device), p.T)))

            # the same noise every epoch (seed + 1): each tile is one sample growing up
            return look_samples(eps_fn, abar, ctx.generator(1), ctx.device)
        return draw

    return train_ddpm(TimeConditionalUNet, lambda m, x, y, abar, g: eps_loss(m, x, abar, g), p, ctx, look)
