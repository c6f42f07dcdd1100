"""Strided DDPM sampling: one step, the loop, classifier-free guidance.

A noise predictor is an ``EpsFn``: ``(x_t, t) -> Prediction``. Every Part A
technique (CFG, anagrams, hybrids) is a small function that builds a new
``EpsFn`` from others, in the style of the visual-anagrams code, and the loop
below never knows which one it runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Optional

import torch

from .forward import predict_start_from_noise
from .schedule import Schedule, abar_at


@dataclass
class Prediction:
    """A noise prediction. ``var`` is DeepFloyd's learned-range coefficient in [-1, 1]
    (same shape as ``eps``), or None for models with the fixed variance sqrt(beta)."""

    eps: torch.Tensor
    var: Optional[torch.Tensor] = None


EpsFn = Callable[[torch.Tensor, int], Prediction]
# (x_t, t_prev) -> x_t: a projection applied after every step (inpainting).
Project = Callable[[torch.Tensor, int], torch.Tensor]
Threshold = Literal["none", "clip", "dynamic"]


@dataclass
class Trajectory:
    """What the loop saw: for each step, t, x_t (input to the step) and x0_hat."""

    t: list[int] = field(default_factory=list)
    x_t: list[torch.Tensor] = field(default_factory=list)
    x0_hat: list[torch.Tensor] = field(default_factory=list)

    def record(self, t: int, x_t: torch.Tensor, x0_hat: torch.Tensor) -> None:
        self.t.append(t)
        self.x_t.append(x_t.detach().float().cpu())
        self.x0_hat.append(x0_hat.detach().float().cpu())


def threshold_x0(x0: torch.Tensor, mode: Threshold, ratio: float = 0.995, max_value: float = 1.0) -> torch.Tensor:
    """Keep x0_hat in range: "clip" to [-1, 1], or Imagen's dynamic thresholding
    (Saharia et al. 2022, section 2.3), as diffusers' ``DDPMScheduler._threshold_sample``."""
    if mode == "none":
        return x0
    if mode == "clip":
        return x0.clamp(-1, 1)
    b = x0.shape[0]
    s = torch.quantile(x0.float().abs().reshape(b, -1), ratio, dim=1)
    s = s.clamp(min=1, max=max_value).reshape(b, *([1] * (x0.ndim - 1)))
    return (x0.float().clamp(-s, s) / s).to(x0.dtype)


def step_std(abar_t: torch.Tensor, abar_prev: torch.Tensor, var: Optional[torch.Tensor]) -> torch.Tensor:
    """Standard deviation of v_sigma for a step t -> t' (t' = -1: abar_prev = 1).

    beta = 1 - abar_t / abar_prev is the effective beta of the strided step.
    Fixed variance: sqrt(beta) (docs/course.md, Part B; diffusers "fixed_large").
    Learned range (improved DDPM, Nichol & Dhariwal 2021, eq. 15): interpolate the
    log variance between the posterior variance beta_tilde and beta with
    frac = (var + 1) / 2, as diffusers' ``DDPMScheduler._get_variance``.
    """
    beta = 1 - abar_t / abar_prev
    if var is None:
        return beta.sqrt()
    beta_tilde = ((1 - abar_prev) / (1 - abar_t) * beta).clamp(min=1e-20)
    frac = (var.float() + 1) / 2
    log_var = frac * beta.float().log() + (1 - frac) * beta_tilde.float().log()
    return torch.exp(0.5 * log_var)


def strided_mean(x_t: torch.Tensor, x0_hat: torch.Tensor, abar_t: torch.Tensor, abar_prev: torch.Tensor) -> torch.Tensor:
    """DDPM posterior mean with skipped steps (docs/course.md; DDPM eq. 7 with alpha_t = abar_t / abar_t').

    x_t' = sqrt(abar_t') b / (1 - abar_t) x0_hat + sqrt(a) (1 - abar_t') / (1 - abar_t) x_t,
    a = abar_t / abar_t', b = 1 - a.
    """
    a = abar_t / abar_prev
    b = 1 - a
    c0 = (abar_prev.sqrt() * b / (1 - abar_t)).to(x_t.dtype)
    ct = (a.sqrt() * (1 - abar_prev) / (1 - abar_t)).to(x_t.dtype)
    return c0 * x0_hat + ct * x_t


def denoise(
    eps_fn: EpsFn,
    x: torch.Tensor,
    schedule: Schedule,
    generator: torch.Generator,
    *,
    project: Optional[Project] = None,
    progress: Callable = lambda it, **_: it,
) -> tuple[torch.Tensor, Trajectory]:
    """Iterative denoising of x = x_{timesteps[0]} down to the clean image, along ``schedule``.

    Step i goes from t = timesteps[i] to t' = timesteps[i + 1], and the last
    step from t = timesteps[-1] to the clean image (abar = 1), exactly as
    diffusers' ``DDPMScheduler.step`` with custom timesteps. Noise v_sigma is
    drawn from ``generator`` whenever t > 0, in the same order as diffusers.
    ``schedule.clamp_x0`` keeps x0_hat in range (``threshold_x0``, as the backend's scheduler
    does). Returns the final image and the trajectory.
    """
    timesteps, abar, clamp_x0 = schedule.timesteps, schedule.abar, schedule.clamp_x0
    traj = Trajectory()
    for i in progress(range(len(timesteps)), desc="denoise", leave=False):
        t = timesteps[i]
        t_prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        pred = eps_fn(x, t)
        x0_hat = clamp_x0(predict_start_from_noise(x, t, abar, pred.eps))
        traj.record(t, x, x0_hat)
        abar_t, abar_prev = abar_at(abar, t).to(x.device), abar_at(abar, t_prev).to(x.device, abar.dtype)
        x_next = strided_mean(x, x0_hat, abar_t, abar_prev)
        if t > 0:
            z = torch.randn(pred.eps.shape, generator=generator, device=generator.device, dtype=pred.eps.dtype)
            x_next = x_next + (step_std(abar_t, abar_prev, pred.var) * z.to(x.device)).to(x.dtype)
        x = project(x_next, t_prev) if project is not None else x_next
    return x, traj


def cfg(eps_fn_pair: Callable[[torch.Tensor, int], tuple[Prediction, Prediction]], gamma: float) -> EpsFn:
    """Classifier-free guidance (Ho & Salimans 2022): eps = eps_u + gamma (eps_c - eps_u).

    ``eps_fn_pair`` returns (unconditional, conditional) predictions, usually from
    one batched call. The conditional variance coefficients are kept (as IFPipeline does).
    """
    def guided(x: torch.Tensor, t: int) -> Prediction:
        u, c = eps_fn_pair(x, t)
        return Prediction(u.eps + gamma * (c.eps - u.eps), c.var)

    return guided


def conditional(backend, cond: torch.Tensor) -> EpsFn:
    """The backend's noise predictor for one condition (a (1, ...) tensor, broadcast over the batch)."""
    def eps_fn(x: torch.Tensor, t: int) -> Prediction:
        return backend.predict(x, t, cond.expand(x.shape[0], *cond.shape[1:]))

    return eps_fn


def guided(backend, cond: torch.Tensor, uncond: torch.Tensor, gamma: float) -> EpsFn:
    """CFG with the unconditional and conditional predictions in one batched call, as IFPipeline
    does: rows [0, B) are unconditional, rows [B, 2B) conditional."""
    def pair(x: torch.Tensor, t: int) -> tuple[Prediction, Prediction]:
        b = x.shape[0]
        conds = torch.cat([uncond.expand(b, *uncond.shape[1:]), cond.expand(b, *cond.shape[1:])])
        p = backend.predict(torch.cat([x, x]), t, conds)
        u_var, c_var = (None, None) if p.var is None else p.var.chunk(2)
        return Prediction(p.eps[:b], u_var), Prediction(p.eps[b:], c_var)

    return cfg(pair, gamma)
