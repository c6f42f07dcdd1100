"""Helpers shared by the Part B result experiments: loading kept epochs, DDPM sampling, judging samples."""
from __future__ import annotations

import torch

from .. import media
from ..diffusion.ddpm import time_input
from ..diffusion.sampling import Prediction, denoise
from ..diffusion.schedule import alphas_cumprod, linear_betas
from ..metrics import frechet_distance, recognition
from ..models.classifier import DigitClassifier
from ..models.inference import for_sampling
from ..train import load_snapshot


def load_model(cls, entry, D: int, epoch: int, device) -> torch.nn.Module:
    """The width-``D`` network of an upstream training entry at a kept epoch, ready for sampling
    (eval mode, BatchNorm folded, channels-last: ``models/inference.py``)."""
    model = cls(D)
    model.load_state_dict(load_snapshot(entry.tensors("weights"), epoch))
    return for_sampling(model).to(device)


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
    return denoise(eps_fn, x, list(range(T - 1, -1, -1)), abar, g, progress=progress)


def classifier(entry, device) -> DigitClassifier:
    model = DigitClassifier()
    model.load_state_dict(entry.tensors("weights"))
    return model.to(device).eval()


@torch.no_grad()
def judge(judge_model: DigitClassifier, samples: torch.Tensor, real: torch.Tensor,
          intended: torch.Tensor | None = None) -> dict:
    """FID in the classifier's feature space against real digits, and (for class samples)
    how often the classifier recognises the intended digit."""
    x = samples.clamp(0, 1)
    out = {"fid": round(frechet_distance(judge_model.features(x).cpu().numpy(),
                                         judge_model.features(real).cpu().numpy()), 3),
           "samples": len(x)}
    if intended is not None:
        rec = recognition(judge_model(x).argmax(1).cpu(), intended.cpu())
        out["recognised_per_digit"] = [round(r, 3) for r in rec]
        out["recognised"] = round(sum(rec) / len(rec), 3)
    return out


def loss_figure(entry, title: str) -> media.Plot:
    log = entry.json("log")
    return media.loss_plot({"loss": log["losses"]}, title)
