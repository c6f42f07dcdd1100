"""Training you can watch: ``train`` one epoch at a time, with a look at the model after each epoch.

A look is a small grid drawn by the model as it stands (samples from fixed noise, fixed test
digits denoised). The training stores its looks as tensors (``looks`` artifact: ``epochN`` ->
(rows, cols, C, H, W)); the results experiments turn them into a figure the page scrubs through
epoch by epoch (``_epoch_figure.py``), so how a figure is drawn never enters a training's key.

The weights are those of an unwatched training, bit for bit: ``train`` resumes from its
per-epoch checkpoint exactly (tests/test_train.py), a look runs on a folded copy of the model
under its own generator with the global RNG restored afterwards, and the learning-rate
schedule comes from the full ``cfg``. Looks are kept in the work folder beside the checkpoint
(``previews.safetensors``), so a crash costs at most the epoch under way, like an unwatched run.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import BuildError
from ..train import LossFn, TrainConfig, TrainResult, train

# look(model) -> rows of (C, H, W) tiles in [0, 1]; ``model`` is the training model: copy, never change it
Look = Callable[[nn.Module], list[list[torch.Tensor]]]
PREVIEWS = "previews.safetensors"


def _load(work_dir: Path) -> dict[int, torch.Tensor]:
    """{epoch: (rows, cols, C, H, W)} of the looks taken so far."""
    path = work_dir / PREVIEWS
    return {int(k[5:]): v for k, v in load_file(str(path)).items()} if path.exists() else {}


def _save(work_dir: Path, looks: dict[int, torch.Tensor]) -> None:
    tmp = work_dir / (PREVIEWS + ".tmp")
    save_file({f"epoch{e}": v.contiguous() for e, v in looks.items()}, str(tmp))
    tmp.replace(work_dir / PREVIEWS)   # atomic: a crash keeps the previous looks


def _take(look: Look, model: nn.Module) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        rows = look(model)
    return torch.stack([torch.stack([t.detach().float().cpu() for t in row]) for row in rows])


def train_watched(model: nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig,
                  seed: int, device: torch.device, work_dir: Path, progress: Callable,
                  look: Look) -> tuple[TrainResult, dict[str, torch.Tensor]]:
    """``train(...)`` as one call would, plus ``look(model)`` after every epoch.

    Returns the training result and the looks, ``{"epoch1": (rows, cols, C, H, W), ...}``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    looks = _load(work_dir)
    resumed_from = None
    for epoch in range(1, cfg.epochs + 1):
        if epoch in looks:
            continue
        # the bar names the real epoch count, not the one-epoch target of this call
        bar = lambda it, epoch=epoch, **kw: progress(it, **{**kw, "desc": f"epoch {epoch}/{cfg.epochs}"})
        result = train(model, loss_fn, x, y, replace(cfg, epochs=epoch), seed, device, work_dir, bar)
        resumed_from = result.resumed_from if resumed_from is None else resumed_from
        reached = len(result.epoch_seconds)
        if reached != epoch:
            raise BuildError(
                f"the work folder {work_dir} holds a checkpoint of epoch {reached} but looks only up to "
                f"epoch {epoch - 1}, so epoch {epoch} can no longer be looked at. "
                f"Fix: delete {work_dir} and build again (the training restarts).", "train_watched")
        looks[epoch] = _take(look, model)
        _save(work_dir, looks)
    # every look taken: this loads the last checkpoint and runs no epoch
    result = train(model, loss_fn, x, y, cfg, seed, device, work_dir, progress)
    result.resumed_from = result.resumed_from if resumed_from is None else resumed_from
    return result, {f"epoch{e}": looks[e] for e in range(1, cfg.epochs + 1)}
