"""Section 4 (second part): iterative denoising from strided_timesteps[i_start] with strided DDPM steps."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from .. import media
from ..constraints import I_START, TEXT, at_least, between
from ..diffusion.forward import predict_start_from_noise, q_sample
from ..diffusion.hybrid import kernel_size, lowpass
from ..diffusion.sampling import conditional, denoise
from ..diffusion.schedule import Schedule
from ._parta import IMAGE, backend_note, caption, load_image, noise_like, panel, show, timesteps

SECTION = 4
USES_BACKEND = True
ARTIFACTS = {"steps": "image", "results": "image", "trajectory": "trajectory"}


@dataclass
class Params:
    i_start: Annotated[int, I_START] = 10          # strided_timesteps[10] = 690 on DeepFloyd
    every: Annotated[int, at_least(1)] = 5             # show every 5th intermediate image
    image: Annotated[str, IMAGE] = "test"  # a role of the report or an image spec (generator/data/images.py)
    prompt: Annotated[str, TEXT] = "a high quality photo"
    blur_sigma: Annotated[float, between(0.05, 20.0)] = 2.0  # the classical baseline, at 64 px (scaled)

    def used_prompts(self) -> list[str]:
        return [self.prompt]



def run(p: Params, ctx) -> dict:
    b = ctx.backend
    ts = timesteps(b)
    x = load_image(ctx, p.image)
    g = ctx.generator()
    t0 = ts[p.i_start]
    x_t = q_sample(x, t0, b.abar, noise_like(x, g))
    cond = b.embed(p.prompt)
    y, tr = denoise(conditional(b, cond), x_t, Schedule.of(b, ts).from_step(p.i_start), g)
    one_step = b.clamp_x0(predict_start_from_noise(x_t, t0, b.abar, b.predict(x_t, t0, cond).eps))
    sigma = p.blur_sigma * b.image_shape[-1] / 64
    blurred = lowpass(x_t, kernel_size(sigma), sigma)
    picks = list(range(0, len(tr.t), p.every))
    steps_row = [b.to_image(tr.x_t[i][0]) for i in picks] + show(b, y)
    note = f"Prompt {caption(b, p.prompt)}, no guidance, seed {ctx.seed}. {backend_note(b)}"
    return {
        "steps": media.Grid([steps_row], [], [f"t = {tr.t[i]}" for i in picks] + ["final"], note=note),
        "results": media.Grid([show(b, x) + show(b, x_t) + show(b, y) + show(b, one_step) + show(b, blurred)], [],
                              ["original", f"noisy (t = {t0})", "iterative", "one-step", "Gaussian blur"],
                              note=note),
        "trajectory": panel([(tr, 0)], [y[0]], b, ["iterative denoising"], note=note),
    }
