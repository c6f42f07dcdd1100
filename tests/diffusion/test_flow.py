"""Flow matching, its solvers, its link to DDPM, and DDIM: against their equations and diffusers."""
import math

import pytest
import torch
from diffusers import DDIMScheduler, FlowMatchEulerDiscreteScheduler

from generator.diffusion.ddim import ddim_sample, ddim_step, trailing_timesteps
from generator.diffusion.flow import flow_loss, interpolate
from generator.diffusion.flow_sampling import (
    ddpm_prediction,
    ddpm_to_flow,
    euler_step,
    evaluations,
    sample_ode,
)
from generator.diffusion.sampling import Prediction
from generator.diffusion.schedule import alphas_cumprod, cosine_betas


def test_flow_loss_is_the_velocity_regression(gen):
    """With the generator's draws replayed: s ~ U[0, 1], eps ~ N(0, I), target eps - x0."""
    x0 = torch.rand(4, 1, 8, 8, generator=gen) * 2 - 1
    seen = {}

    def model(x_s, s, c):
        seen.update(x_s=x_s, s=s, c=c)
        return torch.zeros_like(x_s)

    c = torch.eye(10)[:4]
    loss = flow_loss(model, x0, torch.Generator().manual_seed(5), c)
    replay = torch.Generator().manual_seed(5)
    s = torch.rand(4, generator=replay)
    eps = torch.randn(x0.shape, generator=replay)
    assert torch.allclose(seen["s"], s[:, None]) and seen["c"] is c
    assert torch.allclose(seen["x_s"], (1 - s.view(4, 1, 1, 1)) * x0 + s.view(4, 1, 1, 1) * eps)
    assert torch.allclose(loss, ((eps - x0) ** 2).mean())


def test_interpolation_and_euler_step_equal_diffusers(gen):
    sched = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=1.0)
    sched.set_timesteps(sigmas=[1.0, 0.75, 0.5, 0.25])
    x0, eps = torch.randn(2, 1, 8, 8, generator=gen), torch.randn(2, 1, 8, 8, generator=gen)
    sigmas = sched.sigmas.tolist()       # [1, 0.75, 0.5, 0.25, 0]
    assert sigmas == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0], abs=1e-6)
    t = sched.timesteps[1:2]
    assert torch.allclose(sched.scale_noise(x0, t, eps), interpolate(x0, eps, torch.tensor(sigmas[1])), atol=1e-6)
    v = torch.randn(2, 1, 8, 8, generator=gen)
    x = interpolate(x0, eps, torch.tensor(sigmas[0]))
    theirs = sched.step(v, sched.timesteps[0], x).prev_sample
    assert torch.allclose(euler_step(v, x, sigmas[0], sigmas[1]), theirs, atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_solvers_on_a_linear_ode(n):
    """dx/ds = x from s = 1 to 0: exact x e^-1; Euler multiplies by (1 - h) per step, Heun by
    (1 - h + h^2 / 2) (the trapezoid rule), so Heun's error is the smaller."""
    x = torch.ones(1)
    calls = []

    def v(x_, s):
        calls.append(s)
        return x_

    euler = sample_ode(v, x, n, "euler")
    assert len(calls) == evaluations(n, "euler") == n
    calls.clear()
    heun = sample_ode(v, x, n, "heun")
    assert len(calls) == evaluations(n, "heun") == 2 * n
    h = 1 / n
    assert float(euler) == pytest.approx((1 - h) ** n, rel=1e-6)
    assert float(heun) == pytest.approx((1 - h + h * h / 2) ** n, rel=1e-6)
    assert abs(float(heun) - math.exp(-1)) < abs(float(euler) - math.exp(-1))


def test_one_euler_step_of_the_exact_velocity_lands_on_the_data():
    """For one data point c, v(x_s, s) = (x_s - c) / s, and a single step from s = 1 gives c."""
    c = torch.full((1, 1, 4, 4), 0.3)
    out = sample_ode(lambda x, s: (x - c) / s, torch.randn(1, 1, 4, 4), 1, "euler")
    assert torch.allclose(out, c, atol=1e-6)


def test_unknown_solver_is_refused():
    with pytest.raises(ValueError, match="heun"):
        sample_ode(lambda x, s: x, torch.zeros(1), 2, "rk4")


def test_velocity_answers_a_ddpm_query_exactly(gen):
    abar = alphas_cumprod(cosine_betas(1000)).float()
    x0, eps = torch.randn(3, 1, 8, 8, generator=gen), torch.randn(3, 1, 8, 8, generator=gen)
    for t in (0, 250, 700, 990):
        a = abar[t]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        x_s, s = ddpm_to_flow(x_t, a)
        assert torch.allclose(x_s, interpolate(x0, eps, s), atol=1e-5), t   # the same point of the line
        e, x0_hat = ddpm_prediction(lambda xs, s_: eps - x0, x_t, a)      # the true velocity
        assert torch.allclose(e, eps, atol=1e-4) and torch.allclose(x0_hat, x0, atol=1e-4), t
        e, x0_hat = ddpm_prediction(lambda xs, s_: torch.randn(xs.shape, generator=gen), x_t, a)
        assert torch.allclose(a.sqrt() * x0_hat + (1 - a).sqrt() * e, x_t, atol=1e-5), t  # any v: consistent


def test_trailing_timesteps():
    assert trailing_timesteps(1000, 1) == [999]
    assert trailing_timesteps(1000, 4) == [999, 749, 499, 249]
    assert trailing_timesteps(1000, 1000) == list(range(999, -1, -1))
    with pytest.raises(ValueError):
        trailing_timesteps(10, 11)


@pytest.mark.parametrize("n", [1, 4, 10])
def test_ddim_equals_diffusers(n, gen):
    sched = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                          set_alpha_to_one=True, timestep_spacing="trailing", prediction_type="epsilon")
    sched.set_timesteps(n)
    ts = trailing_timesteps(1000, n)
    assert sched.timesteps.tolist() == ts
    abar = sched.alphas_cumprod.double()
    x = torch.randn(2, 1, 8, 8, generator=gen)
    epss = [torch.randn(2, 1, 8, 8, generator=gen) for _ in ts]
    ref = x
    for t, e in zip(ts, epss):
        ref = sched.step(e, t, ref, eta=0.0, use_clipped_model_output=True).prev_sample
    it = iter(epss)
    ours = ddim_sample(lambda x_, t: Prediction(next(it)), x, ts, abar, lambda x0: x0.clamp(-1, 1))
    assert torch.allclose(ours, ref, atol=1e-5)
    _, x0 = ddim_step(x, epss[0], ts[0], -1, abar, lambda x0: x0.clamp(-1, 1))
    assert x0.abs().max() <= 1
