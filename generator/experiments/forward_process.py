"""Section 2: the forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps on the test image."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import NON_EMPTY, T_1000, each
from ..diffusion.forward import q_sample
from ..diffusion.schedule import scale_timestep
from ._parta import IMAGE, load_image, noise_like, show

SECTION = 2
USES_BACKEND = True
ARTIFACTS = {"noisy": "image"}


@dataclass
class Params:
    # in DeepFloyd's 1000-step units
    t: Annotated[list[int], NON_EMPTY, each(T_1000)] = field(default_factory=lambda: [250, 500, 750])
    image: Annotated[str, IMAGE] = "test"  # a role of the report or an image spec (generator/data/images.py)


def run(p: Params, ctx) -> dict:
    b = ctx.backend
    x = load_image(ctx, p.image)
    eps = noise_like(x, ctx.generator())
    ts = [scale_timestep(t, b.T) for t in p.t]
    noisy = [q_sample(x, t, b.abar, eps) for t in ts]
    row = show(b, x) + [show(b, n)[0] for n in noisy]
    cols = ["original"] + [f"t = {t}" + (f" (of {b.T})" if b.T != 1000 else "") for t in ts]
    note = (f"One noise draw, seed {ctx.seed}. No network runs here, only the noise schedule that Part A "
            "samples with.")
    return {"noisy": media.Grid([row], [], cols, note=note)}
