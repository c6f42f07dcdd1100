"""Section 4 (first part): one-step denoising, x0_hat = (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from .. import media
from ..constraints import NON_EMPTY, TEXT, T_1000, each
from ..diffusion.forward import predict_start_from_noise, q_sample
from ..diffusion.schedule import scale_timestep
from ._parta import IMAGE, backend_note, caption, load_image, noise_like, show

SECTION = 4
USES_BACKEND = True
ARTIFACTS = {"estimates": "image", "compare": "comparison"}


@dataclass
class Params:
    t: Annotated[list[int], NON_EMPTY, each(T_1000)] = field(default_factory=lambda: [250, 500, 750])
    image: Annotated[str, IMAGE] = "test"  # a role of the report or an image spec (generator/data/images.py)
    prompt: Annotated[str, TEXT] = "a high quality photo"

    def used_prompts(self) -> list[str]:
        return [self.prompt]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    x = load_image(ctx, p.image)
    eps = noise_like(x, ctx.generator())
    cond = b.embed(p.prompt)
    rows, noisy_list, est_list, labels = [], [], [], []
    for t_ref in p.t:
        t = scale_timestep(t_ref, b.T)
        x_t = q_sample(x, t, b.abar, eps)
        x0 = b.clamp_x0(predict_start_from_noise(x_t, t, b.abar, b.predict(x_t, t, cond).eps))
        rows.append(show(b, x) + show(b, x_t) + show(b, x0))
        noisy_list += show(b, x_t)
        est_list += show(b, x0)
        labels.append(f"t = {t}")
    note = f"Prompt {caption(b, p.prompt)}, no guidance, seed {ctx.seed}. {backend_note(b)}"
    return {"estimates": media.Grid(rows, labels, ["original", "noisy x_t", "one-step estimate"], note=note),
            "compare": media.Comparison(noisy_list, est_list, "noisy", "one-step estimate", labels, note=note)}
