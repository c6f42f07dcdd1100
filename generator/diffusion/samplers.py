"""Samplers behind one interface (as diffusers' schedulers share ``SchedulerMixin``): DDPM, DDIM, and the
flow's Euler and Heun. Each draws samples from noise with classifier-free guidance and records its
trajectory; the experiments pick one by name and never branch on which it is.

A sampler runs on a backend (``models/backend.Backend``): DDPM and DDIM need its noise prediction
(``predict``), schedule (``abar``, ``T``) and ``clamp_x0``; the ODE solvers need its velocity
(``FlowBackend.velocity``). Images are (B, 1, 28, 28) in the backend's model space.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from .ddim import ddim_sample, trailing_timesteps
from .flow_sampling import evaluations, guided_velocity, sample_ode
from .sampling import Trajectory, denoise, guided
from .schedule import Schedule


class Sampler(Protocol):
    @property
    def name(self) -> str: ...

    def evaluations(self, steps: int) -> int:
        """Network evaluations per sample for ``steps`` steps (guidance doubles the batch, not these)."""
        ...

    def sample(self, backend, x: torch.Tensor, cond: torch.Tensor, gamma: float, steps: int,
               g: torch.Generator) -> tuple[torch.Tensor, Trajectory]:
        """From noise ``x`` to samples conditioned on ``cond`` (B, 10) with CFG scale ``gamma`` against the
        null class: (x0, its trajectory). ``g`` draws any noise a step adds."""
        ...


@dataclass(frozen=True)
class DDPM:
    """The stochastic DDPM update on ``steps`` trailing timesteps of the backend's schedule (all T: the
    course's full chain)."""

    name: str = "DDPM"

    def evaluations(self, steps: int) -> int:
        return steps

    def sample(self, backend, x, cond, gamma, steps, g):
        null = torch.zeros(1, cond.shape[1], device=x.device)
        schedule = Schedule.of(backend, trailing_timesteps(backend.T, steps))
        return denoise(guided(backend, cond, null, gamma), x, schedule, g)


@dataclass(frozen=True)
class DDIM:
    """The deterministic DDIM update (eta = 0) on ``steps`` trailing timesteps."""

    name: str = "DDIM"

    def evaluations(self, steps: int) -> int:
        return steps

    def sample(self, backend, x, cond, gamma, steps, g):
        null = torch.zeros(1, cond.shape[1], device=x.device)
        tr = Trajectory()
        y = ddim_sample(guided(backend, cond, null, gamma), x, trailing_timesteps(backend.T, steps), backend.abar,
                        backend.clamp_x0, tr.record)
        return y, tr


@dataclass(frozen=True)
class FlowODE:
    """The flow's ODE from s = 1 (noise) to 0 in ``steps`` uniform steps, by Euler or Heun; the
    trajectory's t is the noise level s in thousandths, as a DDPM's t is out of 1,000."""

    solver: str     # "euler" | "heun"
    name: str = "flow"

    def evaluations(self, steps: int) -> int:
        return evaluations(steps, self.solver)

    def sample(self, backend, x, cond, gamma, steps, g):
        null = torch.zeros(1, cond.shape[1], device=x.device)
        tr = Trajectory()
        y = sample_ode(guided_velocity(backend.model, cond, null, gamma), x, steps, self.solver,
                       lambda s, x_s, x0: tr.record(round(1000 * s), x_s, x0.clamp(-1, 1)))
        return y.clamp(-1, 1), tr
