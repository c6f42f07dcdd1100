"""Section 15: the improved UNet trained with flow matching: velocity eps - x0 on the straight line."""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from ..diffusion.ddpm import drop_labels
from ..diffusion.flow import flow_loss
from ._improved_train import ImprovedParams, train_improved

SECTION = 15
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "log": "metrics", "run": "table"}


@dataclass
class Params(ImprovedParams):
    pass


def run(p: Params, ctx) -> dict:
    def loss(m, x, y, g):
        return flow_loss(m, x, g, drop_labels(F.one_hot(y, 10).float(), p.p_uncond, g))

    return train_improved(loss, p, ctx, "flow")
