"""Section 13: the single-step denoiser's figures: noising grid, results by epoch, out-of-distribution
noise levels, and the test MSE against sigma."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import torch

from .. import media
from ..constraints import NOISE_LEVEL, NON_EMPTY, between, each
from ..diffusion.ddpm import noisy_pair
from ..models.course_backend import course_model
from . import train_denoiser
from ._epoch_figure import epoch_frames

SECTION = 13
USES_MNIST = True
UPSTREAM = ("train_denoiser",)
# "early"/"final": test digits denoised after the training's two kept epochs (1 and 5 by default)
ARTIFACTS = {"noising": "image", "loss": "plot", "early": "image", "final": "image", "ood": "image",
             "compare": "comparison", "mse_plot": "plot", "mse": "table",
             "epochs": "trajectory"}   # the training's looks after every epoch


@dataclass
class Params:
    sigmas: Annotated[list[float], NON_EMPTY, each(NOISE_LEVEL)] = field(   # the noising and out-of-distribution figures
        default_factory=lambda: [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0])
    n_show: Annotated[int, between(1, 10)] = 5   # digits in the results figures (of the ten the training looks at)


def run(p: Params, ctx) -> dict:
    entry = ctx.upstream["train_denoiser"]
    tp = entry.params(train_denoiser.Params)
    sigma_train = tp.sigma
    test = ctx.mnist.test_x
    shown = test[: p.n_show].to(ctx.device)
    g = ctx.generator()
    noising = [[noisy_pair(x[None], s, g)[0].clamp(0, 1) for s in p.sigmas] for x in shown]
    sig_cols = [f"σ = {s}" for s in p.sigmas]
    looks = entry.tensors("looks")            # after every epoch: rows clean, noisy, denoised of ten digits
    log = entry.json("log")
    measured, final = log["measurements"], tp.keep_epochs[-1]

    def shown_look(epoch: int) -> list[torch.Tensor]:
        """Rows clean, noisy, denoised (n_show, 1, 28, 28) of the look after ``epoch``."""
        return [looks[f"epoch{epoch}"][r, : p.n_show].clamp(0, 1) for r in range(3)]

    figs, mse_rows = {}, []
    fig, ax = media.figure(5.5, 3.0)
    for stage, epoch in zip(("early", "final"), tp.keep_epochs):
        clean, noisy, out = shown_look(epoch)
        figs[stage] = media.Grid([[x, z, o] for x, z, o in zip(clean, noisy, out)], [],
                                 ["original", f"noisy (σ = {sigma_train})", f"denoised, epoch {epoch}"],
                                 note=f"The first test digit of digits 0 to {p.n_show - 1}, noised once (seed {ctx.seed + 1}).")
        m = measured[str(epoch)]
        mse_rows.append([f"epoch {epoch}"] + m["test_mse"])
        ax.plot(m["sigmas"], m["test_mse"], marker="o", ms=3, label=f"after epoch {epoch}")
    model = course_model(entry, final, ctx.device)   # the final model: the one whose weights are kept
    ood_rows = []
    for x in shown[:2]:
        zs = torch.stack([noisy_pair(x[None], s, ctx.generator(2))[0] for s in p.sigmas])
        with torch.no_grad():
            ood_rows += [list(zs.clamp(0, 1)), list(model(zs).clamp(0, 1))]
    ood = media.Grid(ood_rows, ["noisy", "denoised", "noisy", "denoised"], sig_cols)
    _, noisy, out = shown_look(final)
    compare = media.Comparison(list(noisy), list(out), f"noisy (σ = {sigma_train})", f"denoised (epoch {final})")
    ax.axvline(sigma_train, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(f"σ of the test noise (trained at {sigma_train}, dashed)")
    ax.set_ylabel("test MSE")
    ax.set_title(f"Denoiser error on {measured[str(final)]['test_images']:,} held-out digits")
    ax.legend(frameon=False)
    return {
        "noising": media.Grid(noising, [], sig_cols, note=f"z = x + σ ε, seed {ctx.seed}"),
        "loss": media.loss_plot({"loss": log["losses"]}, "Single-step denoiser: training loss"),
        "early": figs["early"], "final": figs["final"], "ood": ood, "compare": compare,
        "mse_plot": media.Plot(fig, "test MSE against sigma"),
        "epochs": epoch_frames(entry, ["clean", f"noisy (σ = {sigma_train})", "denoised"], [str(d) for d in range(10)],
                               f"After every epoch, the first test digit of each class, noised once "
                               f"(seed {ctx.seed + 1})."),
        "mse": {"columns": ["model"] + [f"σ = {s}" for s in measured[str(final)]["sigmas"]], "rows": mse_rows},
    }
