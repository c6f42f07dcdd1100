"""Section 11: visual anagrams: eps = (eps(x_t, p1) + view^-1(eps(view(x_t), p2))) / 2.

Where the backend has a digit reader (the scratch models), ``candidates`` samples are drawn
per illusion, each is read upright (intended: p1's digit) and through the view (p2's),
the ``shown`` best by min(P upright, P through the view) are shown, and the table reports
how many of all candidates work (both intended digits are the top class). Without a
reader (DeepFloyd), ``shown`` candidates are drawn and shown in drawing order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from ..constraints import GUIDANCE, NON_EMPTY, TEXT, Check, between, each
from ..diffusion.views import VIEW_MAP, anagram
from ._parta import (backend_note, caption, eps_for, illusion_figures, rank_candidates, ranking_note, sample,
                     show, timesteps)

SECTION = 11
USES_BACKEND = True
ARTIFACTS = {"illusions": "image", "trajectory": "trajectory", "readings": "table"}
# how the page turns an upright candidate into its other reading on hover (a view without one: none)
HOVER = {"flip": "scaleY(-1)", "rotate_180": "rotate(180deg)"}

# (prompt upright, prompt through the view, view name): two prompts and a view (the view is checked by
# problems(), which names the views there are)
ILLUSION = Check(lambda v: TEXT.test(v[0]) and TEXT.test(v[1]), "two prompts of at most 500 characters and a view")


@dataclass
class Params:
    # (prompt seen upright, prompt seen through the view, view name from VIEW_MAP)
    illusions: Annotated[list[tuple[str, str, str]], NON_EMPTY, each(ILLUSION)] = field(default_factory=lambda: [
        ("an oil painting of an old man", "an oil painting of people around a campfire", "flip"),
        ("a handwritten 6", "a handwritten 9", "rotate_180"),
        ("a handwritten 0", "a handwritten 8", "flip"),
    ])
    gamma: Annotated[float, GUIDANCE] = 3.0     # CFG scale; 7 over-saturates the small scratch models (section 6)
    candidates: Annotated[int, between(1, 64)] = 16   # drawn per illusion where a reader ranks them
    shown: Annotated[int, between(1, 16)] = 4         # shown per illusion

    def used_prompts(self) -> list[str]:
        return [q for p1, p2, _ in self.illusions for q in (p1, p2)]

    def problems(self) -> list[str]:
        return [f"unknown view '{v}'; use one of {sorted(VIEW_MAP)}" for _, _, v in self.illusions
                if v not in VIEW_MAP]


def run(p: Params, ctx) -> dict:
    b = ctx.backend
    n = p.candidates if b.reader is not None else p.shown
    rows, labels, trajs, finals, table, hover = [], [], [], [], [], []
    for p1, p2, view_name in ctx.progress(p.illusions, desc="illusions"):
        view = VIEW_MAP[view_name]()
        g = ctx.generator()
        eps_fn = anagram(eps_for(b, p1, p.gamma), eps_for(b, p2, p.gamma), view)
        y, tr = sample(b, eps_fn, n, timesteps(b), g)
        label = f"{caption(b, p1)} / {view_name.replace('_', ' ')}: {caption(b, p2)}"
        order, row, _ = rank_candidates(b, y, view.view(y), p1, p2, label, p.shown)
        table += [row] if row else []
        y = y[order[:p.shown]]
        rows += [show(b, y), show(b, view.view(y))]
        labels += [caption(b, p1), f"{view_name.replace('_', ' ')}: {caption(b, p2)}"]
        hover += [HOVER.get(view_name, ""), ""]
        trajs.append((tr, order[0]))
        finals.append(y[0])
    note = (f"CFG scale {p.gamma}, seed {ctx.seed}. {ranking_note(b, n, p.shown, 'P upright, P through the view')}"
            + backend_note(b))
    return illusion_figures(b, "illusions", "illusion", rows, labels, trajs, finals, table, p.shown,
                            "P(upright) / P(view)", note, hover)
