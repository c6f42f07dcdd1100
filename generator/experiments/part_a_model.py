"""Section 15: which scratch model draws Part A where DeepFloyd is absent, by a stated rule.

Each candidate draws 10 samples of each digit with Part A's own sampler (the strided DDPM
schedule [990, 960, ..., 0] scaled to the model's T, CFG at ``gamma``) from the same seed,
and the project's classifier judges them. Rule: the most often recognised wins; a tie
goes to the lower Fréchet distance. ``models/select.py`` builds the winner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
import torch.nn.functional as F

from ..constraints import GUIDANCE, between
from ..diffusion.sampling import guided
from ..diffusion.schedule import strided_timesteps
from ..models.improved_backend import backend_of
from ._parta import sample
from ._partb import FLOOR_LABEL, Quality, classifier, fid_text, floor, judge

SECTION = 15
USES_MNIST = True
UPSTREAM = ("train_class_ddpm", "train_improved_ddpm", "train_flow", "mnist_classifier")
ARTIFACTS = {"choice": "table", "metrics": "metrics"}
CANDIDATES = {"course DDPM (section 14)": "train_class_ddpm", "improved DDPM (section 15)": "train_improved_ddpm",
              "flow matching (section 15)": "train_flow"}
RULE = "most often recognised with Part A's strided 34-step DDPM sampler; a tie goes to the lower FID"


@dataclass
class Params:
    gamma: Annotated[float, GUIDANCE] = 3.0      # Part A's CFG scale for anagrams and hybrids
    eval_per_digit: Annotated[int, between(2, 100)] = 10


def choose(results: dict[str, Quality]) -> str:
    """The rule (``RULE``): the label with the highest recognition rate, then the lowest FID."""
    return max(results, key=lambda k: (results[k]["recognised"], -results[k]["fid"]))


def measure(backend, reader, real: torch.Tensor, digits: torch.Tensor, gamma: float, g: torch.Generator) -> Quality:
    """Draw one sample per entry of ``digits`` (N,) with Part A's sampler (strided DDPM steps,
    CFG at ``gamma`` against the null class) and judge it: recognition rate and FID against ``real``."""
    cond = F.one_hot(digits, 10).float()
    eps_fn = guided(backend, cond, torch.zeros(1, 10, device=backend.device), gamma)
    y, _ = sample(backend, eps_fn, len(digits), strided_timesteps(backend.T), g)
    return judge(reader, backend.to_image(y), real, digits)


def run(p: Params, ctx) -> dict:
    reader = classifier(ctx.upstream["mnist_classifier"], ctx.device)
    real = ctx.mnist.test_x.to(ctx.device)
    digits = torch.arange(10).repeat_interleave(p.eval_per_digit).to(ctx.device)
    res = {label: measure(backend_of(ctx.upstream[name], ctx.device), reader, real, digits, p.gamma, ctx.generator())
           for label, name in ctx.progress(CANDIDATES.items(), desc="candidates")}
    best = choose(res)
    base = floor(reader, ctx.mnist.train_x, real, len(digits), ctx.generator(3))
    return {"choice": {"columns": ["model", "samples", "recognised", "worst digit", "Fréchet distance (FID)",
                                   "Part A runs on it"],
                       "rows": [[k, v["samples"], v["recognised"], min(v["recognised_per_digit"]),
                                 fid_text(v), "yes" if k == best else ""] for k, v in res.items()]
                       + [[FLOOR_LABEL, base["samples"], "", "", fid_text(base), ""]]},
            "metrics": {"candidates": res, "choice": CANDIDATES[best], "choice_label": best, "rule": RULE,
                        "gamma": p.gamma, "floor": base}}
