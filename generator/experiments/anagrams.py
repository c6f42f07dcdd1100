"""Section 11: visual anagrams: eps = (eps(x_t, p1) + view^-1(eps(view(x_t), p2))) / 2."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import FINITE, between
from ..diffusion.views import VIEW_MAP, anagram
from ._parta import backend_note, caption, eps_for, panel, sample, show, timesteps

SECTION = 11
USES_BACKEND = True
ARTIFACTS = {"illusions": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    # (prompt seen upright, prompt seen through the view, view name from VIEW_MAP)
    illusions: list[tuple[str, str, str]] = field(default_factory=lambda: [
        ("an oil painting of an old man", "an oil painting of people around a campfire", "flip"),
        ("a handwritten 6", "a handwritten 9", "rotate_180"),
        ("a handwritten 0", "a handwritten 8", "flip"),
    ])
    gamma: Annotated[float, FINITE] = 3.0     # CFG scale; 7 over-saturates the small scratch model (section 6)
    candidates: Annotated[int, between(1, 16)] = 4    # samples per illusion, all drawn from the one seeded generator

    def used_prompts(self) -> list[str]:
        return [q for p1, p2, _ in self.illusions for q in (p1, p2)]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    rows, labels, trajs, finals = [], [], [], []
    for p1, p2, view_name in ctx.progress(p.illusions, desc="illusions"):
        if view_name not in VIEW_MAP:
            raise ValueError(f"unknown view '{view_name}'; use one of {sorted(VIEW_MAP)}")
        view = VIEW_MAP[view_name]()
        g = ctx.generator()
        eps_fn = anagram(eps_for(b, p1, p.gamma), eps_for(b, p2, p.gamma), view)
        y, tr = sample(b, eps_fn, p.candidates, timesteps(b), g)
        rows += [show(b, y), show(b, view.view(y))]
        labels += [caption(b, p1), f"{view_name.replace('_', ' ')}: {caption(b, p2)}"]
        trajs.append((tr, 0))
        finals.append(y[0])
    note = f"CFG scale {p.gamma}, seed {ctx.seed}, {p.candidates} candidates each. {backend_note(b)}"
    return {"illusions": media.Grid(rows, labels, [f"candidate {i + 1}" for i in range(p.candidates)], note=note),
            "trajectory": panel(trajs, finals, b, [f"illusion {i + 1}, candidate 1" for i in range(len(trajs))],
                                note=note)}
