"""The training loop shared by the Part B models, resumable epoch by epoch.

After every epoch the full state (model, Adam moments, LR schedule, the data
generator's RNG state, the loss log) goes to ``work_dir/epoch_NNN.safetensors``.
A restarted run loads the newest one and continues, so an interrupted training
gives exactly the same weights as an uninterrupted one (tests/test_train.py).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch
from safetensors.torch import load_file, save_file
from torch import nn

# loss_fn(model, x_batch, y_batch, generator) -> scalar loss
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainConfig:
    epochs: int
    batch_size: int
    lr: float
    lr_gamma: Optional[float] = None   # ExponentialLR factor per epoch, None = constant
    keep_epochs: tuple[int, ...] = ()  # epochs whose weights are returned (those the page shows)


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)          # one per iteration
    epoch_seconds: list[float] = field(default_factory=list)
    snapshots: dict[int, dict[str, torch.Tensor]] = field(default_factory=dict)  # epoch -> state_dict
    resumed_from: int = 0


# Channels-last (NHWC) lets oneDNN run the convolutions without reordering every activation:
# 1.2x faster training on the CPU (bench/throughput.py), the same math. Checkpoints stay contiguous.
MEMORY_FORMAT = torch.channels_last


def _host_copy(v: torch.Tensor) -> torch.Tensor:
    """A detached, contiguous CPU copy (safetensors stores contiguous tensors only)."""
    return v.detach().to("cpu", memory_format=torch.contiguous_format, copy=True)


def _state_to_tensors(model: nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator, prefix_snap: dict) -> dict:
    tensors = {f"model.{k}": _host_copy(v) for k, v in model.state_dict().items()}
    for idx, st in opt.state_dict()["state"].items():
        for k, v in st.items():
            tensors[f"opt.{idx}.{k}"] = _host_copy(torch.as_tensor(v))
    tensors["rng"] = gen.get_state()
    for e, sd in prefix_snap.items():
        tensors.update({f"snap{e}.{k}": _host_copy(v) for k, v in sd.items()})
    return tensors


def _save_epoch(path: Path, model, opt, sched, gen, result: TrainResult, epoch: int) -> None:
    meta = {
        "epoch": str(epoch),
        "param_groups": json.dumps(opt.state_dict()["param_groups"]),
        "sched": json.dumps(sched.state_dict() if sched else None),
        "losses": json.dumps(result.losses),
        "epoch_seconds": json.dumps(result.epoch_seconds),
    }
    tmp = path.with_suffix(".tmp")
    save_file(_state_to_tensors(model, opt, gen, result.snapshots), str(tmp), metadata=meta)
    tmp.replace(path)  # atomic: a crash leaves the previous epoch file intact


def _load_latest(work_dir: Path, model, opt, sched, gen, result: TrainResult) -> int:
    files = sorted(work_dir.glob("epoch_*.safetensors"))
    if not files:
        return 0
    from safetensors import safe_open

    with safe_open(str(files[-1]), "pt") as f:
        meta = f.metadata()
    tensors = load_file(str(files[-1]))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    params = list(model.parameters())
    opt_state: dict = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            # Adam moments take their parameter's device and memory format (channels-last)
            opt_state.setdefault(int(idx), {})[name] = (
                v if name == "step" else torch.empty_like(params[int(idx)]).copy_(v))
    opt.load_state_dict({"state": opt_state, "param_groups": json.loads(meta["param_groups"])})
    if sched is not None:
        sched.load_state_dict(json.loads(meta["sched"]))
    gen.set_state(tensors["rng"])
    for k, v in tensors.items():
        if k.startswith("snap"):
            e, name = k[4:].split(".", 1)
            result.snapshots.setdefault(int(e), {})[name] = v
    result.losses = json.loads(meta["losses"])
    result.epoch_seconds = json.loads(meta["epoch_seconds"])
    return int(meta["epoch"])


def seeded_init(factory: Callable[[], nn.Module], seed: int) -> nn.Module:
    """Build a model with its initial weights drawn from ``seed``, leaving the global RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return factory()


def train(
    model: nn.Module,
    loss_fn: LossFn,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    seed: int,
    device: torch.device,
    work_dir: Path,
    progress: Callable = lambda it, **_: it,
    stop_after_epoch: Optional[int] = None,
) -> TrainResult:
    """Train with Adam on (x, y), fresh shuffles and noise from one seeded generator.

    ``stop_after_epoch`` simulates an interruption (tests). The numeric regime (fp32, or bf16
    autocast) is the caller's: the build runs every experiment inside it (``Context.run``).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    model.to(device)
    model.to(memory_format=MEMORY_FORMAT)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, cfg.lr_gamma) if cfg.lr_gamma else None
    gen = torch.Generator(device="cpu").manual_seed(seed)
    result = TrainResult()
    start = _load_latest(work_dir, model, opt, sched, gen, result)
    result.resumed_from = start
    n = x.shape[0]
    for epoch in range(start + 1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen)
        batches = [order[i:i + cfg.batch_size] for i in range(0, n, cfg.batch_size)]
        bar = progress(batches, desc=f"epoch {epoch}/{cfg.epochs}", leave=False)
        epoch_losses = []
        for idx in bar:
            xb = x[idx].to(device, non_blocking=True, memory_format=MEMORY_FORMAT)
            yb = y[idx].to(device, non_blocking=True)
            loss = loss_fn(model, xb, yb, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            epoch_losses.append(loss.detach())
        # one host sync per epoch instead of one per iteration
        result.losses.extend(torch.stack(epoch_losses).float().cpu().tolist())
        if sched is not None:
            sched.step()
        result.epoch_seconds.append(time.perf_counter() - t0)
        if epoch in cfg.keep_epochs:
            result.snapshots[epoch] = {k: _host_copy(v) for k, v in model.state_dict().items()}
        _save_epoch(work_dir / f"epoch_{epoch:03d}.safetensors", model, opt, sched, gen, result, epoch)
        for old in sorted(work_dir.glob("epoch_*.safetensors"))[:-1]:
            old.unlink()
        if stop_after_epoch is not None and epoch >= stop_after_epoch:
            break
    model.eval()
    return result


def snapshot_tensors(result: TrainResult) -> dict[str, torch.Tensor]:
    """Kept epochs as one fp16 safetensors dict: 'epoch5.trunk.first.0.0.weight', ...

    fp16 halves the committed cache; BatchNorm's integer counter stays int64.
    """
    out = {}
    for epoch, sd in sorted(result.snapshots.items()):
        for k, v in sd.items():
            out[f"epoch{epoch}.{k}"] = v.half() if v.is_floating_point() else v
    return out


def load_snapshot(tensors: dict[str, torch.Tensor], epoch: int) -> dict[str, torch.Tensor]:
    """The state_dict of one kept epoch, in fp32."""
    prefix = f"epoch{epoch}."
    sd = {k[len(prefix):]: (v.float() if v.is_floating_point() else v)
          for k, v in tensors.items() if k.startswith(prefix)}
    if not sd:
        kept = sorted({k.split(".")[0] for k in tensors})
        raise KeyError(f"no weights for epoch {epoch} in the checkpoint; it keeps {kept}")
    return sd


def training_log(result: TrainResult, n_params: int, data_description: str, n_train: int, batch_size: int,
                 look_seconds: dict[int, float] | None = None) -> dict:
    """The record of a training: its losses (one per Adam step), the seconds of each epoch's training
    alone (every epoch, also those run before a resume) and of each look taken after an epoch."""
    return {
        "losses": result.losses,
        "epoch_seconds": [round(s, 2) for s in result.epoch_seconds],
        "look_seconds": {str(e): s for e, s in sorted((look_seconds or {}).items())},
        "parameters": n_params,
        "data": data_description,
        "train_images": n_train,
        "batch_size": batch_size,
        "resumed_from_epoch": result.resumed_from,
    }
