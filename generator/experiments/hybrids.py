"""Section 12: hybrid images: eps = lowpass(eps(x_t, p1)) + highpass(eps(x_t, p2)).

"From afar" is the image as a distant viewer sees it: shrunk to ``afar_fraction`` of its width
and enlarged again (``diffusion/readings.from_afar``). Where the backend has a digit reader,
each candidate is read close up (intended: the high-frequency prompt's digit) and from afar
(the low-frequency prompt's), ranked and counted as the anagrams are (section 11), and every
blur of ``sigmas_at_64`` is tried: the page shows the one with the most working candidates
(a tie goes to the earlier, the course's first). Without a reader only the first is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from ..constraints import GUIDANCE, NON_EMPTY, TEXT, Check, between, each
from ..diffusion.hybrid import blur_params, hybrid
from ..diffusion.readings import from_afar
from ._parta import (NOT_MEASURED, backend_note, caption, eps_for, illusion_figures, rank_candidates, ranking_note,
                     sample, show, timesteps)

SECTION = 12
USES_BACKEND = True
ARTIFACTS = {"hybrids": "image", "trajectory": "trajectory", "readings": "table", "blurs": "table"}


@dataclass
class Params:
    # (prompt for the low frequencies, seen from afar; prompt for the high frequencies, seen close up)
    pairs: Annotated[list[tuple[str, str]], NON_EMPTY, each(each(TEXT))] = field(default_factory=lambda: [
        ("a lithograph of a skull", "a lithograph of waterfalls"),
        ("a handwritten 8", "a handwritten 3"),
        ("a handwritten 0", "a handwritten 7"),
    ])
    gamma: Annotated[float, GUIDANCE] = 3.0     # CFG scale; 7 over-saturates the small scratch models (section 6)
    candidates: Annotated[int, between(1, 64)] = 16   # drawn per pair where a reader ranks them
    shown: Annotated[int, between(1, 16)] = 4         # shown per pair
    # the course's Gaussian kernel 33, sigma 2 at 64 px, then wider blurs; all scale with the image
    kernel_at_64: Annotated[int, Check(lambda k: k >= 1 and k % 2 == 1, "an odd number >= 1")] = 33
    sigmas_at_64: Annotated[list[float], NON_EMPTY, each(between(0.05, 20.0))] = field(
        default_factory=lambda: [2.0, 4.0, 6.0, 8.0])
    afar_fraction: Annotated[float, between(0.05, 1.0)] = 0.25   # seen from afar: a quarter of the width

    def used_prompts(self) -> list[str]:
        return [q for pair in self.pairs for q in pair]


def run(p: Params, ctx) -> dict:
    b = ctx.backend
    sigmas = p.sigmas_at_64 if b.reader is not None else p.sigmas_at_64[:1]
    tried = {s: _hybrids(p, s, ctx) for s in ctx.progress(sigmas, desc="blurs")}
    best = max(sigmas, key=lambda s: (tried[s]["works"], -sigmas.index(s)))
    blurs = NOT_MEASURED if b.reader is None else {
        "columns": ["hybrid"] + [f"sigma {s} at 64 px ({tried[s]['sigma']:.2f} px)" + (" shown" if s == best else "")
                                 for s in sigmas],
        "rows": [[row[0]] + [tried[s]["table"][i][1] for s in sigmas] for i, row in enumerate(tried[best]["table"])]}
    return tried[best]["figures"] | {"blurs": blurs}


def _hybrids(p: Params, sigma_at_64: float, ctx) -> dict:
    """Every pair at one blur: the figures, the readings table, and how many candidates work."""
    b = ctx.backend
    size, sigma = blur_params(b.image_shape[-1], p.kernel_at_64, sigma_at_64)
    afar_px = max(2, round(b.image_shape[-1] * p.afar_fraction))
    n = p.candidates if b.reader is not None else p.shown
    rows, labels, trajs, finals, table, works, hover = [], [], [], [], [], 0, []
    for low, high in p.pairs:
        g = ctx.generator()
        eps_fn = hybrid(eps_for(b, low, p.gamma), eps_for(b, high, p.gamma), size, sigma)
        y, tr = sample(b, eps_fn, n, timesteps(b), g)
        far = from_afar(y, afar_px)
        order, row, works_here = rank_candidates(
            b, y, far, high, low, f"close up {caption(b, high)} / from afar {caption(b, low)}", p.shown)
        table += [row] if row else []
        works += works_here
        rows += [show(b, y[order[:p.shown]]), show(b, far[order[:p.shown]])]
        labels += [f"close up (high: {caption(b, high)})", f"from afar (low: {caption(b, low)})"]
        hover += [f"scale({afar_px / b.image_shape[-1]:.4g})", ""]   # the same shrink as "from afar"
        trajs.append((tr, order[0]))
        finals.append(y[order[0]])
    note = (f"Gaussian kernel {size}, sigma {sigma:.2f} px; 'from afar' is the image shrunk to {afar_px} px and "
            f"enlarged. CFG scale {p.gamma}, seed {ctx.seed}. {ranking_note(b, n, p.shown, 'P close up, P from afar')}"
            + backend_note(b))
    return {"figures": illusion_figures(b, "hybrids", "hybrid", rows, labels, trajs, finals, table, p.shown,
                                        "P(close up) / P(from afar)", note, hover),
            "table": table, "works": works, "sigma": sigma}
