"""Section 14: samples, trajectories and measured quality of both DDPMs after epochs 5 and 20."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import media
from ..diffusion.sampling import guided
from ..models.scratch_backend import ScratchBackend
from ..models.unet import TimeConditionalUNet
from ..train import load_snapshot
from ._partb import classifier, ddpm_sample, judge, load_model, loss_figure, schedule_of, time_eps_fn

SECTION = 14
USES_MNIST = True
UPSTREAM = ("train_time_ddpm", "train_class_ddpm", "mnist_classifier")
ARTIFACTS = {
    "time_loss": "plot", "class_loss": "plot",
    "time_epoch5": "image", "time_epoch20": "image", "class_epoch5": "image", "class_epoch20": "image",
    "time_trajectory": "trajectory", "class_trajectory": "trajectory",
    "quality": "table", "recognition": "table", "metrics": "metrics",
}


@dataclass
class Params:
    gamma: float = 5.0           # CFG scale for the class model
    show_per_digit: int = 4      # the page shows 4 of each digit
    eval_per_digit: int = 10     # samples per digit that the classifier judges (100 in all)
    time_show: int = 40


def run(p: Params, ctx) -> dict:
    dev = ctx.device
    judge_model = classifier(ctx.upstream["mnist_classifier"], dev)
    real = ctx.mnist.test_x.to(dev)
    te, ce = ctx.upstream["train_time_ddpm"], ctx.upstream["train_class_ddpm"]
    abar, T = schedule_of(te)
    out, quality, rec_rows, metrics = {}, [], [], {}
    n_eval = 10 * p.eval_per_digit
    for epoch in (5, 20):
        # time-conditioned: unconditional samples
        model = load_model(TimeConditionalUNet, te, epoch, dev)
        x, tr = ddpm_sample(time_eps_fn(model, T), max(n_eval, p.time_show), abar, ctx.generator(),
                            dev, ctx.progress)
        out[f"time_epoch{epoch}"] = media.Grid([list(x[i:i + 10].clamp(0, 1)) for i in range(0, p.time_show, 10)],
                                               note=f"Seed {ctx.seed}, {T} DDPM steps.")
        m_time = judge(judge_model, x[:n_eval], real)
        # class-conditioned with CFG: digits 0..9, eval_per_digit of each
        cp = ce.manifest["ingredients"]["params"]
        backend = ScratchBackend(load_snapshot(ce.tensors("weights"), epoch), cp["D"], cp["T"],
                                 cp["beta_start"], cp["beta_end"], dev)
        digits = torch.arange(10).repeat_interleave(p.eval_per_digit).to(dev)
        cond = F.one_hot(digits, 10).float()
        eps_fn = guided(backend, cond, torch.zeros(1, 10, device=dev), p.gamma)
        xc, trc = ddpm_sample(eps_fn, len(digits), backend.abar, ctx.generator(), dev, ctx.progress)
        per = xc.clamp(0, 1).reshape(10, p.eval_per_digit, 1, 28, 28)
        out[f"class_epoch{epoch}"] = media.Grid(
            [[per[d, k] for d in range(10)] for k in range(p.show_per_digit)], [], [str(d) for d in range(10)],
            note=f"CFG scale {p.gamma}, seed {ctx.seed}, {T} DDPM steps.")
        m_class = judge(judge_model, xc, real, digits)
        quality.append([f"epoch {epoch}", m_time["fid"], m_class["fid"], m_class["recognised"]])
        rec_rows.append([f"epoch {epoch}"] + m_class["recognised_per_digit"])
        metrics[f"epoch{epoch}"] = {"time": m_time, "class": m_class}
        if epoch == 20:
            pick = list(range(0, 10 * p.eval_per_digit, p.eval_per_digit))
            out["time_trajectory"] = media.TrajectoryPanel(
                [(tr.t, [s[i].clamp(0, 1) for s in tr.x_t], [s[i].clamp(0, 1) for s in tr.x0_hat]) for i in range(10)],
                list(x[:10].clamp(0, 1)), [f"sample {i + 1}" for i in range(10)], note=f"Seed {ctx.seed}.")
            out["class_trajectory"] = media.TrajectoryPanel(
                [(trc.t, [s[i].clamp(0, 1) for s in trc.x_t], [s[i].clamp(0, 1) for s in trc.x0_hat]) for i in pick],
                [xc[i].clamp(0, 1) for i in pick], [str(d) for d in range(10)],
                note=f"CFG scale {p.gamma}, seed {ctx.seed}.")
    floor = judge(judge_model, ctx.mnist.train_x[: len(real)].to(dev), real)["fid"]
    quality.append(["real training digits (floor)", floor, floor, judge_model_accuracy(judge_model, real, ctx)])
    metrics["real_floor_fid"] = floor
    out |= {
        "time_loss": loss_figure(te, "Time-conditioned UNet: training loss"),
        "class_loss": loss_figure(ce, "Class-conditioned UNet: training loss"),
        "quality": {"columns": ["model", "FID, time-conditioned", "FID, class-conditioned",
                                "class samples recognised"], "rows": quality},
        "recognition": {"columns": ["model"] + [f"digit {d}" for d in range(10)], "rows": rec_rows},
        "metrics": metrics,
    }
    return out


@torch.no_grad()
def judge_model_accuracy(model, real: torch.Tensor, ctx) -> float:
    return round(float((model(real).argmax(1).cpu() == ctx.mnist.test_y).float().mean()), 3)
