"""Section 5: sampling from pure noise (i_start = 0) with the conditional model alone, no guidance."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from .. import media
from ..constraints import GUIDANCE, TEXT, between
from ._parta import backend_note, caption, eps_for, panel, sample, show, timesteps

SECTION = 5
USES_BACKEND = True
ARTIFACTS = {"samples": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    n: Annotated[int, between(1, 64)] = 5
    prompt: Annotated[str, TEXT] = "a high quality photo"
    gamma: Annotated[float, GUIDANCE] = 1.0   # 1 = no guidance

    def used_prompts(self) -> list[str]:
        return [self.prompt]



def run(p: Params, ctx) -> dict:
    """n samples from pure noise for one prompt and guidance scale (also section 6's first figure)."""
    b = ctx.backend
    y, tr = sample(b, eps_for(b, p.prompt, p.gamma), p.n, timesteps(b), ctx.generator())
    note = f"Prompt {caption(b, p.prompt)}, CFG scale {p.gamma}, seed {ctx.seed}. {backend_note(b)}"
    labels = [f"sample {i + 1}" for i in range(p.n)]
    return {"samples": media.Grid([show(b, y)], [], labels, note=note),
            "trajectory": panel([(tr, i) for i in range(p.n)], list(y), b, labels, note=note)}
