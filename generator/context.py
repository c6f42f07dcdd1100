"""What an experiment's ``run(params, ctx)`` may use: seeded generators, the device, the MNIST
split, the Part A backend, upstream results, a scratch folder and a progress bar.

This is the one piece of the build engine that shapes results (seeding above all), so every
experiment's key covers this module (``generator/engine/keys.py``). It imports nothing from the
engine; the build passes in the objects it needs.
"""
from __future__ import annotations

import functools
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable

import torch
from tqdm import tqdm


class Context:
    """Built by the executor for one experiment run.

    ``node`` has the experiment's ``name`` and ``key``; ``upstream`` maps each upstream name to
    its verified cache entry; ``env`` gives the options (seed, device), the MNIST split and the
    backend, each resolved once per build."""

    def __init__(self, node: Any, upstream: dict[str, Any], env: Any, work_root: Path):
        self.node = node
        self.upstream = upstream
        self.env = env
        self.seed: int = env.opts.seed
        self.device = torch.device(env.opts.device)
        self.content: Path = env.opts.content_dir   # the report's folder: a file: input is a path inside it
        # "fp32", or "bf16": every operation that autocast lowers (convolutions, matrix products) runs
        # in bfloat16 on this device, in training and sampling alike; part of every key
        self.precision: str = env.opts.precision
        self.work_dir = work_root / f"{node.name}-{node.key[:16]}"
        self.progress = functools.partial(tqdm, dynamic_ncols=True, mininterval=1.0)
        self._backend = None

    def run(self, fn: Callable[[Any, "Context"], dict], params: Any) -> dict:
        """``fn(params, self)`` in this build's numeric regime (bf16 autocast or plain fp32), with torch's
        global generators seeded with the build's seed for its length and restored after: a draw that
        no explicit generator makes (dropout's masks) is a function of the seed alone, whichever
        experiments ran before in the same process (the local executor, a Ray worker, a test)."""
        regime = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        gpus = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=gpus), regime:
            torch.manual_seed(self.seed)
            return fn(params, self)

    def generator(self, offset: int = 0, device: str = "cpu") -> torch.Generator:
        """A fresh generator seeded with seed + offset (seeds are explicit: docs/architecture.md)."""
        return torch.Generator(device=device).manual_seed(self.seed + offset)

    @property
    def mnist(self):
        return self.env.mnist

    @property
    def backend(self):
        if self._backend is None:
            self._backend = self.env.backend(self.upstream)
        return self._backend
