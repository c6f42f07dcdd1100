"""Section 15: the flow model, exported for the page's "Try it" demo, and the values the demo must match.

The network goes out as ONNX (``models/onnx_export.py``), checked against PyTorch with onnxruntime on
fixed inputs. Beside it, a small JSON with what the browser's sampler needs: the cosine schedule's
cumulative alphas and Part A's strided timesteps (so the browser does not recompute either), and the
defaults, which are the page's best configuration from ``improved_results``.

``reference`` holds four runs of this project's own Python samplers, with their noise, for the
browser test to replay in the page's JavaScript (the test passes the noise in):

* ``sample``: ten digits, the best configuration (Heun, 4 steps, guidance 2.5): ``flow_sampling``;
* ``euler``: two sevens, Euler, 3 steps, guidance 4;
* ``sdedit``: a drawn ring edited towards a 6 from i_start = 10, Part A's sampler (section 7);
* ``inpaint``: the same ring with its top half regenerated as an 8 (section 9).

The two edits run on the flow model exactly as Part A's techniques do on the scratch page
(``models/improved_backend.FlowBackend``). Each of their random draws is one (1, 1, 28, 28)
tensor from the same seeded generator, in the order the Python loop draws them, so the list
``noise`` replays both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import torch
import torch.nn.functional as F

from ..constraints import between
from ..diffusion.editing import inpaint, sdedit
from ..diffusion.flow_sampling import guided_velocity, sample_ode
from ..diffusion.sampling import guided
from ..errors import BuildError
from ..diffusion.schedule import Schedule, strided_timesteps
from ..models.improved_backend import FlowBackend, load_improved
from ..models.onnx_export import OPSET, BrowserModel, max_difference, to_onnx
from ..models.unet import parameter_count

SECTION = 15
UPSTREAM = ("train_flow", "improved_results")
ARTIFACTS = {"demo": "demo", "reference": "checkpoint"}
# the two edits the browser replays: the digit they edit towards, their guidance and (SDEdit) start
EDITS: dict[str, dict[str, Any]] = {"sdedit": {"digit": 6, "gamma": 3.0, "i_start": 10},
                                    "inpaint": {"digit": 8, "gamma": 3.0}}


@dataclass
class Params:
    check_batch: Annotated[int, between(1, 256)] = 20   # inputs of the export's check: batch of random states
    tolerance: Annotated[float, between(0.0, 1e-2)] = 1e-4   # max |onnxruntime - PyTorch| allowed
    noise_draws: Annotated[int, between(72, 1000)] = 72   # >= the edits' draws (inpainting: 2 + 2 per step)


def ring(size: int = 28) -> torch.Tensor:
    """A hand-drawn-like '0': a soft ring of radius 8 px, (1, 1, size, size) in model space [-1, 1]."""
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    r = ((yy - 13.5) ** 2 + (xx - 13.5) ** 2).sqrt()
    ink = (1.6 - (r - 8).abs()).clamp(0, 1)   # about 3 px wide, anti-aliased
    return (2 * ink - 1)[None, None]


def top_half(size: int = 28) -> torch.Tensor:
    """The inpainting mask: 1 (regenerate) on the top 14 rows."""
    m = torch.zeros(1, 1, size, size)
    m[..., : size // 2, :] = 1
    return m


def flow_sample(model, digits: list[int], x1: torch.Tensor, steps: int, solver: str, gamma: float) -> torch.Tensor:
    cond = F.one_hot(torch.tensor(digits), 10).float()
    return sample_ode(guided_velocity(model, cond, torch.zeros(1, 10), gamma), x1, steps, solver)


def run(p: Params, ctx) -> dict:
    # the browser's numbers are fp32 CPU numbers, whatever regime the build runs in
    with torch.autocast("cpu", enabled=False), torch.autocast("cuda", enabled=False):
        return export(p, ctx)


def export(p: Params, ctx) -> dict:
    cpu = torch.device("cpu")
    entry = ctx.upstream["train_flow"]
    model, _ = load_improved(entry, cpu)
    best = ctx.upstream["improved_results"].json("metrics")["best"]
    if best["sampler"] not in ("flow, Heun", "flow, Euler"):   # improved_results' rule may pick a DDPM sampler
        raise BuildError(f"the demo runs section 15's flow model, but the page's best configuration is "
                         f"'{best['sampler']}'. Fix: keep improved_results' rule on the flow model's samplers, or "
                         "remove the demo's figure from the page")
    solver = best["sampler"].split(", ")[1].lower()

    g = ctx.generator()
    check = {"x": torch.randn(p.check_batch, 1, 28, 28, generator=g), "s": torch.rand(p.check_batch, 1, generator=g),
             "c": F.one_hot(torch.arange(p.check_batch) % 10, 10).float()}
    check["c"][::3] = 0   # every third row the null class
    onnx = to_onnx(model, tuple(check.values()), list(check), "v")
    diff = max_difference(onnx, model, check)
    if not diff <= p.tolerance:
        raise ValueError(f"the ONNX export differs from PyTorch by {diff:.2e} > tolerance {p.tolerance:.0e}")

    # the Python samplers' runs that the browser replays
    ref: dict[str, torch.Tensor] = {}
    ref["sample.x1"] = torch.randn(10, 1, 28, 28, generator=ctx.generator(1))
    ref["sample.out"] = flow_sample(model, list(range(10)), ref["sample.x1"], best["steps"], solver, best["gamma"])
    ref["euler.x1"] = torch.randn(2, 1, 28, 28, generator=ctx.generator(2))
    ref["euler.out"] = flow_sample(model, [7, 7], ref["euler.x1"], 3, "euler", 4.0)
    backend = FlowBackend(model, cpu)
    ts = strided_timesteps(1000)
    g3 = ctx.generator(3)   # the edits below draw from a fresh generator of the same seed, in this order
    ref["noise"] = torch.cat([torch.randn(1, 1, 28, 28, generator=g3) for _ in range(p.noise_draws)])
    ref["ring"], ref["mask"] = ring(), top_half()
    null = torch.zeros(1, 10)
    e = EDITS["sdedit"]
    eps = guided(backend, F.one_hot(torch.tensor([e["digit"]]), 10).float(), null, e["gamma"])
    ref["sdedit.out"], _ = sdedit(eps, ref["ring"], Schedule.of(backend, ts), e["i_start"], ctx.generator(3))
    e = EDITS["inpaint"]
    eps = guided(backend, F.one_hot(torch.tensor([e["digit"]]), 10).float(), null, e["gamma"])
    ref["inpaint.out"], _ = inpaint(eps, ref["ring"], ref["mask"], Schedule.of(backend, ts), ctx.generator(3))

    config = {
        "inputs": list(check), "output": "v", "image": [1, 28, 28], "classes": 10,
        "abar": [float(a) for a in backend.abar], "timesteps": ts,
        "defaults": {"solver": solver, "steps": best["steps"], "gamma": best["gamma"], "seed": ctx.seed,
                     "i_start": EDITS["sdedit"]["i_start"]},
        "edits": EDITS,
    }
    meta = {"parameters": parameter_count(model), "max_difference": diff, "tolerance": p.tolerance, "opset": OPSET,
            "best": f"{best['sampler'].split(', ')[1]}, {best['steps']} steps, guidance {best['gamma']:g}"}
    return {"demo": BrowserModel(onnx, config, meta), "reference": {k: v.contiguous() for k, v in ref.items()}}
