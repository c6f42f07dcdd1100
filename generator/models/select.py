"""Choosing the Part A backend: DeepFloyd IF where its weights and a GPU are present,
else the scratch class-conditioned MNIST model, with the reason said out loud."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..errors import BuildError
from . import deepfloyd


@dataclass(frozen=True)
class BackendChoice:
    name: str                     # "deepfloyd" | "scratch"
    identity: str                 # goes into the cache key of every Part A result
    upstream: tuple[str, ...]     # experiments the backend is built from
    reason: str                   # printed, and shown on the page
    make: Callable                # make(ctx) -> backend


def _make_scratch(ctx):
    from ..train import load_snapshot
    from .scratch_backend import ScratchBackend

    entry = ctx.upstream["train_class_ddpm"]
    p = entry.manifest["ingredients"]["params"]
    weights = load_snapshot(entry.tensors("weights"), max(p["keep_epochs"]))
    return ScratchBackend(weights, p["D"], p["T"], p["beta_start"], p["beta_end"], ctx.device)


def _make_deepfloyd(ctx):
    deepfloyd.require_cuda(str(ctx.device))
    entry = ctx.upstream["prompt_embeddings"]
    tensors, prompts = entry.tensors("embeddings"), entry.json("prompts")
    embeddings = {p: tensors[f"prompt{i}"] for i, p in enumerate(prompts)}
    stage1 = deepfloyd.load_stage1(device=str(ctx.device))
    stage2 = deepfloyd.load_stage2(device=str(ctx.device))
    return deepfloyd.DeepFloydBackend(stage1, embeddings, stage2)


SCRATCH_UPSTREAM = ("train_class_ddpm",)
DEEPFLOYD_UPSTREAM = ("prompt_embeddings",)


def _code_digest(module: str) -> str:
    """The backend's own code is part of its identity: a changed prompt mapping or variance rule
    must make every Part A result stale (its weights enter through the upstream keys)."""
    from ..cache import key_of, source_closure

    return key_of(source_closure(module))[:16]


def scratch(reason: str) -> BackendChoice:
    ident = f"scratch:ClassConditionalUNet(final epoch),code={_code_digest('generator.models.scratch_backend')}"
    return BackendChoice("scratch", ident, SCRATCH_UPSTREAM, reason, _make_scratch)


def choose(choice: str, device: str) -> BackendChoice:
    """``auto``: DeepFloyd when both stages are in the local Hugging Face cache and CUDA is
    present; otherwise scratch. ``deepfloyd`` fails fast with the fix when it cannot run."""
    if choice == "scratch":
        return scratch("--backend scratch")
    revs = {r: deepfloyd.local_revision(r) for r in (deepfloyd.STAGE1, deepfloyd.STAGE2)}
    missing = [r for r, v in revs.items() if v is None]
    has_cuda = torch.cuda.is_available() and device.startswith("cuda")
    if not missing and has_cuda:
        ident = ",".join(f"{r}@{v}" for r, v in revs.items()) + f",code={_code_digest('generator.models.deepfloyd')}"
        return BackendChoice("deepfloyd", ident, DEEPFLOYD_UPSTREAM, "DeepFloyd IF weights and a CUDA GPU found",
                             _make_deepfloyd)
    why = []
    if missing:
        why.append("no DeepFloyd IF weights in the local Hugging Face cache")
    if not has_cuda:
        why.append("no CUDA GPU selected (--device cuda)" if torch.cuda.is_available() else "no CUDA GPU")
    reason = "; ".join(why)
    if choice == "deepfloyd":
        raise BuildError(f"cannot run DeepFloyd IF: {reason}. Fix: on a CUDA machine, accept the licence at "
                         f"https://huggingface.co/{deepfloyd.STAGE1}, log in with `huggingface-cli login`, run "
                         "once online to download the weights, and pass --device cuda; or use --backend scratch",
                         "--backend deepfloyd")
    if choice != "auto":
        raise BuildError(f"unknown backend '{choice}'; use auto, deepfloyd or scratch", "--backend")
    return scratch(reason)
