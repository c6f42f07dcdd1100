"""What the two section-15 trainings share: the improved UNet, its EMA, the budget, the loop.

Both objectives train the same network (``models/improved_unet.py``) on the same 4,000
digits, from the same seed, for the same number of Adam steps, so their comparison in
``improved_results`` is at equal training cost. Images are mapped to [-1, 1] (the usual
model space of diffusion models; the course's models use [0, 1]).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Callable, cast

import torch

from ..artifacts import Checkpoint
from ..constraints import TRUE_OR_FALSE, WIDTH, between, each
from ..models.ema import WithEMA
from ..models.improved_unet import ImprovedConfig, ImprovedUNet
from ..models.unet import parameter_count
from ..train import TrainConfig, TrainResult, seeded_init, snapshot_tensors, train, training_log
from ._training_run import device_words, run_table


@dataclass
class ImprovedParams:
    widths: Annotated[tuple[int, int, int], each(WIDTH)] = (32, 64, 64)   # channels at 28, 14 and 7 px
    attention: Annotated[bool, TRUE_OR_FALSE] = True                         # self-attention at 7 x 7
    ema_decay: Annotated[float, between(0.0, 0.99999)] = 0.995
    batch_size: Annotated[int, between(1, 4096)] = 64
    epochs: Annotated[int, between(1, 1000)] = 18  # 63 steps each on 4,000 digits: 1,134 Adam steps
    lr: Annotated[float, between(1e-6, 1.0)] = 2e-3   # Adam; ExponentialLR decays it to lr / 10
    p_uncond: Annotated[float, between(0.0, 1.0)] = 0.1   # label dropout: the null class of CFG


def to_model_space(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] digits -> [-1, 1]."""
    return 2 * x - 1


def train_improved(loss: Callable, p: ImprovedParams, ctx, objective: str, T: int = 0) -> dict:
    """Train ``WithEMA(ImprovedUNet)`` with ``loss(model, x0 in [-1, 1], y, generator)``.

    Artifacts: the final raw and EMA weights (fp16; keys 'epoch{E}.net.*' and 'epoch{E}.ema.*')
    and the training log.
    """
    data = ctx.mnist
    model = cast(WithEMA, seeded_init(lambda: WithEMA(ImprovedUNet(p.widths, attention=p.attention), p.ema_decay),
                                      ctx.seed))
    result = train(
        model,
        lambda m, x, y, g: loss(m, to_model_space(x), y, g),
        data.train_x, data.train_y,
        TrainConfig(p.epochs, p.batch_size, p.lr, 0.1 ** (1 / p.epochs)),
        ctx.seed, ctx.device, ctx.work_dir, ctx.progress,
    )
    model.finish()
    final = TrainResult(snapshots={p.epochs: {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}})
    log = training_log(result, parameter_count(model.net), data.description, len(data.train_x), p.batch_size)
    config = ImprovedConfig(objective, p.widths, p.attention, T, p.epochs)
    return {"weights": Checkpoint(snapshot_tensors(final), asdict(config)), "log": log,
            "run": run_table(log, device_words(ctx.device))}
