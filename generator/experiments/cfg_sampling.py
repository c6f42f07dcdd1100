"""Section 6: classifier-free guidance, eps = eps_u + gamma (eps_c - eps_u), against the empty prompt.

The main figure shows the same noise sampled without guidance and with it, side by side."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import GUIDANCE, NON_EMPTY, TEXT, between, each
from ._parta import backend_note, caption, eps_for, panel, sample, show, timesteps

SECTION = 6
USES_BACKEND = True
ARTIFACTS = {"samples": "image", "scales": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    n: Annotated[int, between(1, 64)] = 5
    # a prompt the model understands, so that guidance has something to extrapolate (the scratch model
    # reads "a high quality photo" as the null class; DeepFloyd's page uses it: models/prompt_sets.py)
    prompt: Annotated[str, TEXT] = "a handwritten 3"
    gamma: Annotated[float, GUIDANCE] = 7.0   # CFG scale; the unconditional prompt is ""
    # the guidance sweep: the same noise for every prompt and scale
    sweep_prompts: Annotated[list[str], NON_EMPTY, each(TEXT)] = field(default_factory=lambda: ["a high quality photo", "a handwritten 3",
                                                              "a handwritten 8"])
    sweep_gammas: Annotated[list[float], each(GUIDANCE)] = field(default_factory=lambda: [0.0, 1.0, 3.0, 7.0])

    def used_prompts(self) -> list[str]:
        return [self.prompt, *self.sweep_prompts]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    ts = timesteps(b)
    # the same noise with and without guidance: each row starts from a fresh generator of the build's seed
    plain, _ = sample(b, eps_for(b, p.prompt, 1.0), p.n, ts, ctx.generator())
    y, tr = sample(b, eps_for(b, p.prompt, p.gamma), p.n, ts, ctx.generator())
    labels = [f"sample {i + 1}" for i in range(p.n)]
    note = (f"Prompt {caption(b, p.prompt)}; each column starts from the same noise (seed {ctx.seed}). "
            f"{backend_note(b)}")
    rows = []
    for prompt in ctx.progress(p.sweep_prompts, desc="guidance sweep"):
        row = []
        for gamma in p.sweep_gammas:
            row += show(b, sample(b, eps_for(b, prompt, gamma), 1, ts, ctx.generator())[0])
        rows.append(row)
    sweep_note = (f"Same starting noise in every cell (seed {ctx.seed}); gamma = 0 is the unconditional "
                  f"model, 1 the conditional one. {backend_note(b)}")
    return {"samples": media.Grid([show(b, plain), show(b, y)], ["gamma = 1", f"gamma = {p.gamma:g}"], labels,
                                  note=note),
            "scales": media.Grid(rows, [caption(b, q) for q in p.sweep_prompts],
                                 [f"gamma = {gm:g}" for gm in p.sweep_gammas], note=sweep_note),
            "trajectory": panel([(tr, i) for i in range(p.n)], list(y), b, labels, note=note)}
