"""Sampling a flow-matching model, and its exact link to DDPM (conventions in ``flow.py``).

Sampling integrates dx/ds = v from s = 1 (noise) to s = 0 (data).

A DDPM state x_t = sqrt(abar) x0 + sqrt(1 - abar) eps is a point of the flow's straight
line, scaled: x_t / (sqrt(abar) + sqrt(1 - abar)) = x_s at s = sqrt(1 - abar) /
(sqrt(abar) + sqrt(1 - abar)). So a velocity model gives eps and x0_hat exactly at any
DDPM step (``ddpm_prediction``), and every Part A technique runs on it unchanged.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch

# v(x_s, s) -> velocity, x (B, C, H, W), s a float in [0, 1]
VelocityFn = Callable[[torch.Tensor, float], torch.Tensor]


def levels(n: int) -> list[float]:
    """n uniform steps from s = 1 to 0: the n + 1 levels [1, 1 - 1/n, ..., 0]."""
    return [1 - i / n for i in range(n + 1)]


def euler_step(v: torch.Tensor, x: torch.Tensor, s: float, s_next: float) -> torch.Tensor:
    """x_{s'} = x_s + (s' - s) v: diffusers' ``FlowMatchEulerDiscreteScheduler.step``."""
    return x + (s_next - s) * v


def sample_ode(v_fn: VelocityFn, x: torch.Tensor, n: int, solver: str = "euler",
               record: Optional[Callable] = None) -> torch.Tensor:
    """Integrate from pure noise x = x_1 to the data end in n steps.

    ``euler``: one evaluation per step. ``heun``: Heun's second-order method (the trapezoid
    of the slopes at both ends, Karras et al. 2022, algorithm 1), two evaluations per step.
    ``record(s, x_s, x0_hat)`` sees each step's input and its implied clean image x_s - s v.
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown ODE solver '{solver}'; use one of {SOLVERS}")
    grid = levels(n)
    for s, s_next in zip(grid[:-1], grid[1:]):
        v = v_fn(x, s)
        if record is not None:
            record(s, x, x - s * v)
        x_euler = euler_step(v, x, s, s_next)
        if solver == "heun":
            x = x + (s_next - s) * (v + v_fn(x_euler, s_next)) / 2
        else:
            x = x_euler
    return x


SOLVERS = ("euler", "heun")


def guided_velocity(model, cond: torch.Tensor, null: torch.Tensor, gamma: float) -> VelocityFn:
    """CFG on a velocity model v(x, s (B, 1), c (B, K)): v_u + gamma (v_c - v_u), both halves in
    one batched call as ``sampling.guided`` does for eps: rows [0, B) take ``null`` (1, K),
    rows [B, 2B) take ``cond`` (B, K)."""
    @torch.no_grad()
    def v_fn(x: torch.Tensor, s: float) -> torch.Tensor:
        b = x.shape[0]
        out = model(torch.cat([x, x]), torch.full((2 * b, 1), s, device=x.device),
                    torch.cat([null.expand(b, -1), cond]))
        return out[:b] + gamma * (out[b:] - out[:b])

    return v_fn


def evaluations(n: int, solver: str) -> int:
    """Network evaluations of ``sample_ode`` with n steps."""
    return 2 * n if solver == "heun" else n


def ddpm_to_flow(x_t: torch.Tensor, abar_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """DDPM state at abar_t -> (x_s, s) on the flow line (module doc)."""
    a, b = abar_t.sqrt(), (1 - abar_t).sqrt()
    return x_t / (a + b), b / (a + b)


def ddpm_prediction(v_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x_t: torch.Tensor,
                    abar_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(eps, x0_hat) of a velocity model at a DDPM state: x0 = x_s - s v, eps = x_s + (1 - s) v.

    ``v_fn(x_s, s)`` takes s as a 0-dim tensor. Exact: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps
    holds for the returned pair whatever v is.
    """
    x_s, s = ddpm_to_flow(x_t, abar_t.to(x_t.dtype))
    v = v_fn(x_s, s)
    return x_s + (1 - s) * v, x_s - s * v
