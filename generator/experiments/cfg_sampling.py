"""Section 6: classifier-free guidance, eps = eps_u + gamma (eps_c - eps_u), against the empty prompt."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import FINITE, between, each
from . import sampling_from_noise
from ._parta import backend_note, caption, eps_for, sample, show, timesteps

SECTION = 6
USES_BACKEND = True
ARTIFACTS = {"samples": "image", "scales": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    n: Annotated[int, between(1, 64)] = 5
    prompt: str = "a high quality photo"
    gamma: Annotated[float, FINITE] = 7.0   # CFG scale; the unconditional prompt is ""
    # the guidance sweep: the same noise for every prompt and scale
    sweep_prompts: list[str] = field(default_factory=lambda: ["a high quality photo", "a handwritten 3",
                                                              "a handwritten 8"])
    sweep_gammas: Annotated[list[float], each(FINITE)] = field(default_factory=lambda: [0.0, 1.0, 3.0, 7.0])

    def used_prompts(self) -> list[str]:
        return [self.prompt, *self.sweep_prompts]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    out = sampling_from_noise.run(p, ctx)  # the n guided samples: same code as section 5, other gamma
    rows = []
    for prompt in ctx.progress(p.sweep_prompts, desc="guidance sweep"):
        row = []
        for gamma in p.sweep_gammas:
            row += show(b, sample(b, eps_for(b, prompt, gamma), 1, timesteps(b), ctx.generator())[0])
        rows.append(row)
    sweep_note = (f"Same starting noise in every cell (seed {ctx.seed}); gamma = 0 is the unconditional "
                  f"model, 1 the conditional one. {backend_note(b)}")
    out["scales"] = media.Grid(rows, [caption(b, q) for q in p.sweep_prompts],
                               [f"gamma = {gm:g}" for gm in p.sweep_gammas], note=sweep_note)
    return out
