"""Section 14: samples, trajectories and measured quality of both DDPMs after the trainings' kept epochs (5 and 20)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import torch
import torch.nn.functional as F

from ..constraints import GUIDANCE, ROWS_OF_TEN, between
from .. import media
from ..diffusion.sampling import guided
from ..models.course_backend import course_backend, course_model
from ..errors import BuildError
from . import train_class_ddpm, train_time_ddpm
from ._epoch_figure import epoch_frames, epochs_phrase, looked_at
from ._partb import (FLOOR_LABEL, classifier, ddpm_sample, fid_text, floor, judge, kid_text, loss_figure,
                     schedule_of, time_eps_fn)

SECTION = 14
USES_MNIST = True
UPSTREAM = ("train_time_ddpm", "train_class_ddpm", "mnist_classifier")
ARTIFACTS = {
    "time_loss": "plot", "class_loss": "plot",
    # samples after the trainings' two kept epochs (keep_epochs, 5 and 20 by default)
    "time_early": "image", "time_final": "image", "class_early": "image", "class_final": "image",
    "time_trajectory": "trajectory", "class_trajectory": "trajectory",
    "time_epochs": "trajectory", "class_epochs": "trajectory",   # the trainings' looks after every epoch
    "quality": "table", "recognition": "table", "metrics": "metrics",
}


@dataclass
class Params:
    gamma: Annotated[float, GUIDANCE] = 5.0           # CFG scale for the class model
    show_per_digit: Annotated[int, between(1, 100)] = 4      # the page shows 4 of each digit
    eval_per_digit: Annotated[int, between(2, 1000)] = 10    # samples per digit that the classifier judges (100 in all)
    time_show: Annotated[int, ROWS_OF_TEN] = 40              # unconditional samples shown, in rows of ten

    def problems(self) -> list[str]:
        return ([f"show_per_digit {self.show_per_digit} is more than eval_per_digit {self.eval_per_digit}"]
                if self.show_per_digit > self.eval_per_digit else [])


def run(p: Params, ctx) -> dict:
    dev = ctx.device
    judge_model = classifier(ctx.upstream["mnist_classifier"], dev)
    real = ctx.mnist.test_x.to(dev)
    te, ce = ctx.upstream["train_time_ddpm"], ctx.upstream["train_class_ddpm"]
    tp, cp = te.params(train_time_ddpm.Params), ce.params(train_class_ddpm.Params)
    if tp.keep_epochs != cp.keep_epochs:
        raise BuildError(f"the two trainings keep different epochs ({tp.keep_epochs} and {cp.keep_epochs}), so "
                         "their samples cannot be compared. Fix: give both the same keep_epochs", "ddpm_results")
    abar, T = schedule_of(tp)
    out: dict[str, Any] = {}
    quality: list[list] = []
    rec_rows: list[list] = []
    metrics: dict[str, Any] = {}
    n_eval = 10 * p.eval_per_digit
    for stage, epoch in zip(("early", "final"), tp.keep_epochs):
        # time-conditioned: unconditional samples
        model = course_model(te, epoch, dev)
        x, tr = ddpm_sample(time_eps_fn(model, T), max(n_eval, p.time_show), abar, ctx.generator(),
                            dev, ctx.progress)
        out[f"time_{stage}"] = media.Grid([list(x[i:i + 10].clamp(0, 1)) for i in range(0, p.time_show, 10)],
                                          note=f"Epoch {epoch}, seed {ctx.seed}, {T} DDPM steps.")
        m_time = judge(judge_model, x[:n_eval], real)
        # class-conditioned with CFG: digits 0..9, eval_per_digit of each
        backend = course_backend(ce, dev, epoch)
        digits = torch.arange(10).repeat_interleave(p.eval_per_digit).to(dev)
        cond = F.one_hot(digits, 10).float()
        eps_fn = guided(backend, cond, torch.zeros(1, 10, device=dev), p.gamma)
        xc, trc = ddpm_sample(eps_fn, len(digits), backend.abar, ctx.generator(), dev, ctx.progress)
        per = xc.clamp(0, 1).reshape(10, p.eval_per_digit, 1, 28, 28)
        out[f"class_{stage}"] = media.Grid(
            [[per[d, k] for d in range(10)] for k in range(p.show_per_digit)], [], [str(d) for d in range(10)],
            note=f"Epoch {epoch}, CFG scale {p.gamma}, seed {ctx.seed}, {T} DDPM steps.")
        m_class = judge(judge_model, xc, real, digits)
        quality += [[f"time-conditioned, epoch {epoch}", m_time["samples"], fid_text(m_time),
                     kid_text(m_time), "not conditioned on a digit"],
                    [f"class-conditioned, epoch {epoch}", m_class["samples"], fid_text(m_class),
                     kid_text(m_class), m_class["recognised"]]]
        rec_rows.append([f"epoch {epoch}"] + m_class["recognised_per_digit"])
        metrics[f"epoch{epoch}"] = {"time": m_time, "class": m_class}
        if stage == "final":
            pick = list(range(0, 10 * p.eval_per_digit, p.eval_per_digit))
            out["time_trajectory"] = media.TrajectoryPanel(
                [(tr.t, [s[i].clamp(0, 1) for s in tr.x_t], [s[i].clamp(0, 1) for s in tr.x0_hat]) for i in range(10)],
                list(x[:10].clamp(0, 1)), [f"sample {i + 1}" for i in range(10)], note=f"Seed {ctx.seed}.")
            out["class_trajectory"] = media.TrajectoryPanel(
                [(trc.t, [s[i].clamp(0, 1) for s in trc.x_t], [s[i].clamp(0, 1) for s in trc.x0_hat]) for i in pick],
                [xc[i].clamp(0, 1) for i in pick], [str(d) for d in range(10)],
                note=f"CFG scale {p.gamma}, seed {ctx.seed}.")
    # real digits at the same sample size as the models (the distances depend on it)
    base = floor(judge_model, ctx.mnist.train_x, real, n_eval, ctx.generator(3))
    quality.append([FLOOR_LABEL, base["samples"], fid_text(base), kid_text(base), ""])
    metrics["floor"] = base
    out |= {
        "time_epochs": epoch_frames(te, [], [], f"After {epochs_phrase(looked_at(te))}, ten samples from the same "
                                    f"noise (seed {ctx.seed + 1}), {T} DDPM steps."),
        "class_epochs": epoch_frames(ce, [], [str(d) for d in range(10)],
                                     f"After {epochs_phrase(looked_at(ce))}, each digit from the same noise "
                                     f"(seed {ctx.seed + 1}), CFG scale {cp.look_gamma}, {T} DDPM steps."),
        "time_loss": loss_figure(te, "Time-conditioned UNet: training loss"),
        "class_loss": loss_figure(ce, "Class-conditioned UNet: training loss"),
        "quality": {"columns": ["samples of", "samples", "Fréchet distance (FID)", "kernel distance (KID)",
                                "recognised as the intended digit"], "rows": quality},
        "recognition": {"columns": ["model"] + [f"digit {d}" for d in range(10)], "rows": rec_rows},
        "metrics": metrics,
    }
    return out

