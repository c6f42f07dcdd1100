"""Section 3: Gaussian-blur denoising, with the kernel chosen by PSNR against the clean image."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import torch

from .. import media
from ..constraints import NON_EMPTY, T_1000, between, each
from ..diffusion.forward import q_sample
from ..diffusion.hybrid import kernel_size, lowpass
from ..diffusion.schedule import scale_timestep
from ._parta import IMAGE, load_image, noise_like, show

SECTION = 3
USES_BACKEND = True
ARTIFACTS = {"denoised": "image", "search": "plot", "chosen": "table"}


@dataclass
class Params:
    t: Annotated[list[int], NON_EMPTY, each(T_1000)] = field(default_factory=lambda: [250, 500, 750])
    image: Annotated[str, IMAGE] = "test"  # a role of the report or an image spec (generator/data/images.py)
    sigmas: Annotated[list[float], NON_EMPTY, each(between(0.05, 20.0))] = field(
        default_factory=lambda: [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0])


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB of two images in [0, 1]."""
    mse = torch.mean((a.clamp(0, 1) - b.clamp(0, 1)) ** 2).item()
    return 10 * np.log10(1 / max(mse, 1e-12))


def run(p: Params, ctx) -> dict:
    b = ctx.backend
    x = load_image(ctx, p.image)
    clean = b.to_image(x)
    eps = noise_like(x, ctx.generator())
    fig, ax = media.figure(5.5, 3.0)
    noisy_row, blur_row, chosen = [], [], []
    for t_ref in p.t:
        t = scale_timestep(t_ref, b.T)
        noisy = q_sample(x, t, b.abar, eps)
        scores = [psnr(b.to_image(lowpass(noisy, kernel_size(s), s)), clean) for s in p.sigmas]
        best = p.sigmas[int(np.argmax(scores))]
        ax.plot(p.sigmas, scores, marker="o", ms=3, label=f"t = {t}")
        ax.plot([best], [max(scores)], "k*", ms=9)
        blurred = lowpass(noisy, kernel_size(best), best)
        noisy_row += show(b, noisy)
        blur_row += show(b, blurred)
        chosen.append({"t": t, "sigma": best, "kernel": kernel_size(best),
                       "PSNR noisy (dB)": round(psnr(b.to_image(noisy), clean), 2),
                       "PSNR blurred (dB)": round(max(scores), 2)})
    ax.set_xlabel("Gaussian sigma (px)")
    ax.set_ylabel("PSNR vs clean (dB)")
    ax.set_title("Choosing the blur: best sigma per noise level (star)")
    ax.legend(frameon=False)
    cols = [f"t = {c['t']}" for c in chosen]
    note = (f"Kernel width 2⌈3σ⌉ + 1 pixels. Seed {ctx.seed}. No network runs here; the noise follows the "
            "schedule that Part A samples with.")
    return {"denoised": media.Grid([noisy_row, blur_row], ["noisy", "best blur"], cols, note=note),
            "search": media.Plot(fig, "PSNR of the blurred image against sigma"),
            "chosen": {"columns": list(chosen[0]), "rows": [list(c.values()) for c in chosen]}}
