"""Section 12: hybrid images: eps = lowpass(eps(x_t, p1)) + highpass(eps(x_t, p2))."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import FINITE, Check, between
from ..diffusion.hybrid import blur_params, hybrid, lowpass
from ._parta import backend_note, caption, eps_for, panel, sample, show, timesteps

SECTION = 12
USES_BACKEND = True
ARTIFACTS = {"hybrids": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    # (prompt for the low frequencies, seen from afar; prompt for the high frequencies, seen close up)
    pairs: list[tuple[str, str]] = field(default_factory=lambda: [
        ("a lithograph of a skull", "a lithograph of waterfalls"),
        ("a handwritten 8", "a handwritten 3"),
        ("a handwritten 0", "a handwritten 7"),
    ])
    gamma: Annotated[float, FINITE] = 3.0     # CFG scale; 7 over-saturates the small scratch model (section 6)
    candidates: Annotated[int, between(1, 16)] = 4    # samples per pair, all drawn from the one seeded generator
    # the course's Gaussian kernel 33, sigma 2 at 64 px; both scale with the image
    kernel_at_64: Annotated[int, Check(lambda k: k >= 1 and k % 2 == 1, "an odd number >= 1")] = 33
    sigma_at_64: Annotated[float, between(0.05, 20.0)] = 2.0

    def used_prompts(self) -> list[str]:
        return [q for pair in self.pairs for q in pair]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    size, sigma = blur_params(b.image_shape[-1], p.kernel_at_64, p.sigma_at_64)
    rows, labels, trajs, finals = [], [], [], []
    for low, high in ctx.progress(p.pairs, desc="hybrids"):
        g = ctx.generator()
        eps_fn = hybrid(eps_for(b, low, p.gamma), eps_for(b, high, p.gamma), size, sigma)
        y, tr = sample(b, eps_fn, p.candidates, timesteps(b), g)
        far = lowpass(y, 2 * size + 1, 2 * sigma)  # what a viewer far away sees
        rows += [show(b, y), show(b, far)]
        labels += [f"close up (high: {caption(b, high)})", f"from afar (low: {caption(b, low)})"]
        trajs.append((tr, 0))
        finals.append(y[0])
    note = (f"Gaussian kernel {size}, sigma {sigma:.2f} px; 'from afar' is blurred twice as much. CFG scale "
            f"{p.gamma}, seed {ctx.seed}, {p.candidates} candidates each. {backend_note(b)}")
    return {"hybrids": media.Grid(rows, labels, [f"candidate {i + 1}" for i in range(p.candidates)], note=note),
            "trajectory": panel(trajs, finals, b, [f"hybrid {i + 1}, candidate 1" for i in range(len(trajs))], note=note)}
