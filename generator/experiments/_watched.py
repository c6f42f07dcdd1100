"""Training you can watch: ``train`` with a look at the model after chosen epochs.

A look is a small grid drawn by the model as it stands (samples from fixed noise, fixed test
digits denoised). The training stores its looks as tensors (``looks`` artifact: ``epochN`` ->
(rows, cols, C, H, W)); the results experiments turn them into a figure the page scrubs through
epoch by epoch (``_epoch_figure.py``), so how a figure is drawn never enters a training's key.

The weights are those of an unwatched training, bit for bit: ``train`` resumes from its
per-epoch checkpoint exactly (tests/test_train.py), a look runs on a folded copy of the model
under its own generator with the global RNG restored afterwards, and the learning-rate
schedule comes from the full ``cfg``. Looks are kept in the work folder beside the checkpoint
(``previews.safetensors``, with the seconds each look took), so a crash costs at most the epochs since
the last checkpoint, like an unwatched run.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import BuildError
from ..train import LossFn, TrainConfig, TrainResult, train

# look(model) -> rows of (C, H, W) tiles in [0, 1]; ``model`` is the training model: copy, never change it
Look = Callable[[nn.Module], list[list[torch.Tensor]]]
# measure(model) -> JSON-ready numbers; ``model`` is the training model: copy, never change it
Measure = Callable[[nn.Module], dict]
PREVIEWS = "previews.safetensors"


def _load(work_dir: Path) -> tuple[dict[int, torch.Tensor], dict[int, float], dict[int, dict]]:
    """{epoch: (rows, cols, C, H, W)} of the looks taken so far, {epoch: seconds} each took, and
    {epoch: measurement} of the measurements made so far."""
    path = work_dir / PREVIEWS
    if not path.exists():
        return {}, {}, {}
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
    seconds = {int(e): float(s) for e, s in json.loads(meta.get("seconds", "{}")).items()}
    measured = {int(e): m for e, m in json.loads(meta.get("measurements", "{}")).items()}
    return {int(k[5:]): v for k, v in load_file(str(path)).items()}, seconds, measured


def _save(work_dir: Path, looks: dict[int, torch.Tensor], seconds: dict[int, float], measured: dict[int, dict]) -> None:
    tmp = work_dir / (PREVIEWS + ".tmp")
    save_file({f"epoch{e}": v.contiguous() for e, v in looks.items()}, str(tmp),
              metadata={"seconds": json.dumps({str(e): s for e, s in seconds.items()}),
                        "measurements": json.dumps({str(e): m for e, m in measured.items()})})
    tmp.replace(work_dir / PREVIEWS)   # atomic: a crash keeps the previous looks


def _take(look: Look, model: nn.Module) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        rows = look(model)
    return torch.stack([torch.stack([t.detach().float().cpu() for t in row]) for row in rows])


@dataclass
class Watched:
    """A watched training: the training's result, the looks {"epochN": (rows, cols, C, H, W)}, the
    seconds each look took {N: s} (the training's own seconds are ``result.epoch_seconds``) and the
    measurements {N: numbers}."""

    result: TrainResult
    looks: dict[str, torch.Tensor]
    look_seconds: dict[int, float]
    measurements: dict[int, dict]   # {epoch: what ``measure`` returned after it}


def train_watched(model: nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig,
                  seed: int, device: torch.device, work_dir: Path, progress: Callable,
                  look: Look, look_epochs: Sequence[int], measure: Optional[Measure] = None,
                  measure_epochs: Sequence[int] = ()) -> Watched:
    """``train(...)`` as one call would, plus ``look(model)`` after each epoch of ``look_epochs`` and
    ``measure(model)`` (JSON-ready numbers, such as a test error) after each of ``measure_epochs``,
    all within ``cfg.epochs``: the training runs from stop to stop, and its last call trains the last
    epochs, so no checkpoint is loaded twice. Measuring during training spares keeping the weights of
    an epoch only to measure them later."""
    work_dir.mkdir(parents=True, exist_ok=True)
    looks, seconds, measured = _load(work_dir)
    wanted = [e for e in look_epochs if e <= cfg.epochs]
    to_measure = [e for e in measure_epochs if e <= cfg.epochs] if measure is not None else []
    resumed_from = None
    result = None
    for target in sorted(set(wanted) | set(to_measure) | {cfg.epochs}):
        done = (target not in wanted or target in looks) and (target not in to_measure or target in measured)
        if done and target != cfg.epochs:
            continue
        # the bar names the real epoch count, not the target of this call
        bar = lambda it, **kw: progress(it, **{**kw, "desc": kw.get("desc", "epoch").split("/")[0] + f"/{cfg.epochs}"})
        result = train(model, loss_fn, x, y, replace(cfg, epochs=target), seed, device, work_dir, bar)
        resumed_from = result.resumed_from if resumed_from is None else resumed_from
        reached = len(result.epoch_seconds)
        if reached != target:
            raise BuildError(
                f"the work folder {work_dir} holds a checkpoint of epoch {reached} but not the look or measurement "
                f"due after epoch {target}, which can no longer be taken. Fix: delete {work_dir} and build again "
                f"(the training restarts).", "train_watched")
        if target in wanted and target not in looks:
            t0 = time.perf_counter()
            looks[target] = _take(look, model)
            seconds[target] = round(time.perf_counter() - t0, 2)
            _save(work_dir, looks, seconds, measured)
        if measure is not None and target in to_measure and target not in measured:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                measured[target] = measure(model)
            _save(work_dir, looks, seconds, measured)
    assert result is not None   # the loop always reaches cfg.epochs
    result.resumed_from = resumed_from or 0
    return Watched(result, {f"epoch{e}": looks[e] for e in wanted}, {e: seconds[e] for e in wanted},
                   {e: measured[e] for e in to_measure})
