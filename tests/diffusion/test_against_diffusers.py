"""The math of generator/diffusion against diffusers itself, on tiny IF-shaped components."""
import pytest
import torch
from diffusers import DDPMScheduler

from generator.diffusion.forward import predict_start_from_noise, q_sample
from generator.diffusion.sampling import Prediction, denoise, step_std, strided_mean, threshold_x0
from generator.diffusion.schedule import (
    Schedule,
    abar_at,
    alphas_cumprod,
    cosine_betas,
    linear_betas,
    strided_timesteps,
)
from generator.models.deepfloyd import DeepFloydBackend

from .tiny_if import EMBED_DIM, tiny_pipeline, tiny_scheduler


def test_cosine_schedule_equals_diffusers():
    ours = alphas_cumprod(cosine_betas(1000))
    theirs = tiny_scheduler().alphas_cumprod.double()
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_forward_process_equals_add_noise(gen):
    sched = tiny_scheduler()
    x0 = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    eps = torch.randn(x0.shape, generator=gen)
    for t in (0, 250, 500, 750, 999):
        ref = sched.add_noise(x0, eps, torch.tensor([t, t]))
        assert torch.allclose(q_sample(x0, t, sched.alphas_cumprod.double(), eps), ref, atol=1e-6), t


def test_strided_timesteps_match_spec():
    ts = strided_timesteps(1000)
    assert ts[:3] == [990, 960, 930] and ts[-2:] == [30, 0] and len(ts) == 34
    assert ts[10] == 690
    scratch = strided_timesteps(300)
    assert len(scratch) == 34 and scratch[0] == 297 and scratch[-1] == 0


@pytest.mark.parametrize("thresholding", [True, False])
def test_one_strided_step_equals_scheduler_step(thresholding):
    """One step t -> t' with the learned-range variance term, same noise, same thresholding."""
    sched = tiny_scheduler(thresholding)
    sched.config.clip_sample = False
    ts = strided_timesteps(1000)
    sched.set_timesteps(timesteps=ts)
    abar = sched.alphas_cumprod.double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 16, 16, generator=g)
    out = torch.randn(2, 6, 16, 16, generator=g)   # model output: noise then variance coefficients
    out[:, 3:] = out[:, 3:].tanh()
    for i in (0, 10, len(ts) - 1):
        t = ts[i]
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        ref = sched.step(out, t, x, generator=torch.Generator().manual_seed(7)).prev_sample
        x0 = predict_start_from_noise(x, t, abar, out[:, :3])
        x0 = threshold_x0(x0, "dynamic", 0.95, 1.0) if thresholding else x0
        a_t, a_p = abar_at(abar, t), abar_at(abar, t_prev)
        ours = strided_mean(x, x0, a_t, a_p)
        if t > 0:
            z = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
            ours = ours + step_std(a_t, a_p, out[:, 3:]) * z
        assert torch.allclose(ours, ref, atol=1e-5), (t, (ours - ref).abs().max())


def test_ddpm_step_equals_scheduler_fixed_large():
    """Part B's sampler step (sqrt(beta) noise, t' = t - 1) against DDPMScheduler, linear betas, T = 300."""
    sched = DDPMScheduler(num_train_timesteps=300, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                          variance_type="fixed_large", clip_sample=False)
    assert torch.allclose(alphas_cumprod(linear_betas(300, 1e-4, 0.02)), sched.alphas_cumprod.double(), atol=1e-6)
    # Both sides in float64: near t = 0, diffusers' float32 step loses ~3e-4 relative precision in
    # beta_t = 1 - abar_t / abar_{t-1} (cancellation), while ours computes the coefficients in float64.
    sched.alphas_cumprod, sched.one = sched.alphas_cumprod.double(), sched.one.double()
    abar = sched.alphas_cumprod
    g = torch.Generator().manual_seed(3)
    x = torch.randn(4, 1, 28, 28, generator=g, dtype=torch.float64)
    eps = torch.randn(x.shape, generator=g, dtype=torch.float64)
    eps_fn = lambda x_, t_: Prediction(eps)  # noqa: E731 (a fixed noise prediction)
    for t in (299, 150, 1, 0):
        ref = sched.step(eps, t, x, generator=torch.Generator().manual_seed(5)).prev_sample
        # the loop's first step: t -> t - 1, or at t = 0 to the clean image; `project` sees its output
        after_step = []
        denoise(eps_fn, x, Schedule(abar, [t, t - 1] if t > 0 else [0]), torch.Generator().manual_seed(5),
                project=lambda x_, t_prev: after_step.append(x_) or x_)
        ours = after_step[0]
        assert torch.allclose(ours, ref, atol=1e-10), t


def test_cfg_loop_equals_ifpipeline():
    """The whole guided loop, through the DeepFloyd backend, against IFPipeline (fp32, same generator)."""
    pipe = tiny_pipeline(thresholding=True)
    g = torch.Generator().manual_seed(11)
    cond = torch.randn(1, 7, EMBED_DIM, generator=g)
    uncond = torch.randn(1, 7, EMBED_DIM, generator=g)
    ts = [990, 930, 870, 700, 500, 300, 120, 30, 0]
    ref = pipe(prompt_embeds=cond, negative_prompt_embeds=uncond, guidance_scale=7.0, timesteps=ts,
               generator=torch.Generator().manual_seed(0), output_type="pt", height=16, width=16).images

    from generator.diffusion.sampling import guided

    backend = DeepFloydBackend(pipe, {"p": cond, "": uncond})
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((1, *backend.image_shape), generator=gen)
    ours, traj = denoise(guided(backend, backend.embed("p"), backend.embed(""), 7.0), x, Schedule.of(backend, ts), gen)
    assert (ours - ref).abs().max().item() <= 1e-5
    assert traj.t == ts and len(traj.x_t) == len(ts) == len(traj.x0_hat)
