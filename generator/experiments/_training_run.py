"""A training's record (``train.training_log``) as a table a reader can use: data, network, steps,
time (training alone, and the looks beside it) and final loss. The one source of a training's time
on the page: the training's own seconds, every epoch counted (also epochs run before a resume)."""
from __future__ import annotations

import math

import torch


def seconds_text(s: float) -> str:
    return f"{s:,.0f} s" if s < 120 else f"{s:,.0f} s ({s / 60:,.0f} min)"


def run_table(log: dict, device: str) -> dict:
    """Rows of (what, value) for one training; ``device`` in words ("one CPU thread", "a GPU")."""
    n, batch = log["train_images"], log["batch_size"]
    epochs = len(log["epoch_seconds"])
    per_epoch = math.ceil(n / batch)
    train_s = sum(log["epoch_seconds"])
    last = log["losses"][-per_epoch:]
    rows = [
        ["data", log["data"]],
        ["network", f"{log['parameters']:,} parameters"],
        ["Adam steps", f"{len(log['losses']):,}: {epochs} epochs of {per_epoch} batches of up to {batch} digits"],
        ["training time", f"{seconds_text(train_s)} on {device}, {seconds_text(train_s / epochs)} per epoch"],
    ]
    looks = log.get("look_seconds") or {}
    if looks:
        look_s = sum(looks.values())
        rows.append(["looks at the model", f"{len(looks)} (after epochs {', '.join(looks)}): {seconds_text(look_s)}, "
                     f"so training with looks took {(train_s + look_s) / train_s:.2f} times the training alone"])
    rows.append(["final loss", f"{sum(last) / len(last):.4f} (mean over the last epoch's {len(last)} steps)"])
    return {"columns": ["", "training run"], "rows": rows}


def device_words(device: torch.device) -> str:
    """'1 CPU thread', '2 CPU threads' or the GPU's name: where the seconds of a run were spent."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    n = torch.get_num_threads()
    return f"{n} CPU thread{'s' if n > 1 else ''}"
