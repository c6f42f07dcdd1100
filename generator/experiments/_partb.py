"""Helpers shared by the Part B result experiments: loading kept epochs, DDPM sampling, judging samples."""
from __future__ import annotations

import math
from typing import Any, Mapping, TypedDict

import numpy as np
import torch

from .. import media
from ..diffusion.ddpm import time_input
from ..diffusion.sampling import Prediction, denoise
from ..diffusion.schedule import Schedule, alphas_cumprod, linear_betas
from ..metrics import (frechet_distance, frechet_distance_leave_one_out, jackknife_half_width, kernel_distance,
                       kernel_distance_leave_one_out, recognition)
from ..models.classifier import DigitClassifier

FLOOR_DRAWS = 20   # sets of real digits per floor
FLOOR_LABEL = f"real training digits: the floor ({FLOOR_DRAWS} draws)"   # its row in every table


def schedule_of(p) -> tuple[torch.Tensor, int]:
    """ᾱ (T,) and T of a DDPM training's parameters (``DDPMParams``)."""
    return alphas_cumprod(linear_betas(p.T, p.beta_start, p.beta_end)), p.T


def time_eps_fn(model, T: int):
    """eps_theta(x_t, t) of the time-conditioned UNet as an EpsFn."""
    @torch.no_grad()
    def eps_fn(x: torch.Tensor, t: int) -> Prediction:
        return Prediction(model(x, time_input(torch.full((x.shape[0],), t, device=x.device), T)))

    return eps_fn


def ddpm_sample(eps_fn, n: int, abar: torch.Tensor, g: torch.Generator, device, progress):
    """The course's DDPM sampler (docs/course.md): x_T ~ N(0, I), then the strided update with t' = t - 1 and
    noise sqrt(beta_t) z (z = 0 at the last step): ``denoise`` over every timestep."""
    T = abar.shape[0]
    x = torch.randn((n, 1, 28, 28), generator=g).to(device)
    return denoise(eps_fn, x, Schedule(abar, list(range(T - 1, -1, -1))), g, progress=progress)


def classifier(entry, device) -> DigitClassifier:
    model = DigitClassifier()
    model.load_state_dict(entry.tensors("weights"))
    return model.to(device).eval()


class Quality(TypedDict, total=False):
    """How close a set of samples is to the real test digits, in the judge's 64-d feature space: the
    Fréchet distance (FID) and the kernel distance (KID), each with the half-width of its 95% interval
    (jackknife over the samples; for a floor, the spread of single draws), and, for class samples,
    how often the judge reads the intended digit."""

    samples: int
    fid: float
    fid_pm: float
    kid: float
    kid_pm: float
    recognised: float
    recognised_per_digit: list[float]


def features(judge_model: DigitClassifier, x: torch.Tensor) -> np.ndarray:
    return judge_model.features(x.clamp(0, 1)).float().cpu().numpy()


@torch.no_grad()
def judge(judge_model: DigitClassifier, samples: torch.Tensor, real: torch.Tensor,
          intended: torch.Tensor | None = None) -> Quality:
    """FID and KID of ``samples`` (N, 1, 28, 28) against ``real`` digits, with jackknife intervals, and
    (for class samples) how often the classifier recognises the intended digit."""
    a, b = features(judge_model, samples), features(judge_model, real)
    out = Quality(samples=len(samples),
                  fid=round(frechet_distance(a, b), 3),
                  fid_pm=round(jackknife_half_width(frechet_distance_leave_one_out(a, b)), 3),
                  kid=round(kernel_distance(a, b), 5),
                  kid_pm=round(jackknife_half_width(kernel_distance_leave_one_out(a, b)), 5))
    if intended is not None:
        rec = recognition(judge_model(samples.clamp(0, 1)).argmax(1).cpu(), intended.cpu())
        out["recognised_per_digit"] = [round(r, 3) for r in rec]
        out["recognised"] = round(sum(rec) / len(rec), 3)
    return out


@torch.no_grad()
def floor(judge_model: DigitClassifier, pool: torch.Tensor, real: torch.Tensor, n: int, g: torch.Generator,
          draws: int = FLOOR_DRAWS) -> Quality:
    """What real digits score at the same sample size: ``draws`` sets of ``n`` training digits (each drawn
    without replacement from ``pool``) against ``real``; the mean, and 1.96 standard deviations of a
    single draw as the interval. The Fréchet distance of N samples is biased upwards at small N, so a
    model's FID means something only beside a floor of the same N."""
    b = features(judge_model, real)
    fids, kids = [], []
    for _ in range(draws):
        a = features(judge_model, pool[torch.randperm(len(pool), generator=g)[:n]].to(real.device))
        fids.append(frechet_distance(a, b))
        kids.append(kernel_distance(a, b))
    return Quality(samples=n, fid=round(float(np.mean(fids)), 3), fid_pm=round(1.96 * float(np.std(fids)), 3),
                   kid=round(float(np.mean(kids)), 5), kid_pm=round(1.96 * float(np.std(kids)), 5))


def pm_text(value: float, pm: float) -> str:
    """'14.9 ± 1.1', '0.0123 ± 0.0041': both rounded to the second significant digit of the interval."""
    decimals = max(0, 1 - math.floor(math.log10(pm))) if pm > 0 else 3
    return f"{value:,.{decimals}f} ± {pm:,.{decimals}f}"


def fid_text(q: Mapping[str, Any]) -> str:
    """A table cell: the Fréchet distance with its interval."""
    return pm_text(q["fid"], q["fid_pm"])


def kid_text(q: Mapping[str, Any]) -> str:
    """A table cell: the kernel distance with its interval."""
    return pm_text(q["kid"], q["kid_pm"])


def loss_figure(entry, title: str) -> media.Plot:
    log = entry.json("log")
    return media.loss_plot({"loss": log["losses"]}, title)
