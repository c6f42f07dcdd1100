"""Inpainting, SDEdit, anagram views and the hybrid frequency split."""
import pytest
import torch

from generator.diffusion.editing import inpaint, sdedit
from generator.diffusion.forward import forward
from generator.diffusion.hybrid import blur_params, highpass, hybrid, lowpass
from generator.diffusion.sampling import Prediction
from generator.diffusion.schedule import Schedule, alphas_cumprod, linear_betas, strided_timesteps
from generator.diffusion.views import VIEW_MAP, anagram

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))


def random_eps_fn(seed: int = 0):
    """A stand-in noise predictor: a fixed random linear map, so each step really changes x."""
    w = torch.randn(1, 1, 3, 3, generator=torch.Generator().manual_seed(seed)) * 0.3

    def eps_fn(x, t):
        return Prediction(torch.nn.functional.conv2d(x, w, padding=1) + 0.01 * t)

    return eps_fn


def test_inpainting_keeps_known_pixels_at_every_step():
    x_orig = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(1, 1, 28, 28)
    mask[..., 5:15, 8:20] = 1
    ts = strided_timesteps(300)
    seen = []
    # Replay the projection's noise: the projection draws forward() noise after every step's own noise.
    g = torch.Generator().manual_seed(2)
    out, traj = inpaint(random_eps_fn(), x_orig, mask, Schedule(ABAR, ts), g)
    # (1) outside the mask, every x_t that entered a step is forward(x_orig, t): check its statistics
    for t, x_t in zip(traj.t, traj.x_t):
        seen.append(t)
        known = x_t[mask == 0]
        a = ABAR[t].float()
        resid = (known - a.sqrt() * x_orig[mask == 0]) / (1 - a).sqrt()  # should be N(0, 1) noise
        assert abs(resid.mean()) < 0.25 and 0.75 < resid.std() < 1.25, t
    # (2) at the end, known pixels equal the original exactly; the masked region changed
    assert torch.equal(out[mask == 0], x_orig[mask == 0])
    assert not torch.allclose(out[mask == 1], x_orig[mask == 1])
    assert seen == ts


def test_inpainting_projection_is_exact_forward():
    """The projection writes exactly forward(x_orig, t) (same generator state) outside the mask."""
    from generator.diffusion.editing import repaint_projection

    x_orig = torch.rand(1, 1, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    proj = repaint_projection(x_orig, mask, ABAR, torch.Generator().manual_seed(9))
    x = torch.randn(1, 1, 8, 8)
    got = proj(x, 100)
    expected_known = forward(x_orig, 100, ABAR, torch.Generator().manual_seed(9))
    assert torch.equal(got[mask == 0], expected_known[mask == 0])
    assert torch.equal(got[mask == 1], x[mask == 1])


def test_sdedit_starts_at_i_start():
    x = torch.rand(2, 1, 28, 28)
    ts = strided_timesteps(300)
    _, traj = sdedit(random_eps_fn(), x, Schedule(ABAR, ts), 10, torch.Generator().manual_seed(0))
    assert traj.t == ts[10:]


@pytest.mark.parametrize("size", [28, 64])
def test_lowpass_plus_highpass_is_identity(size):
    x = torch.randn(2, 3, size, size)
    k, s = blur_params(size)
    assert torch.allclose(lowpass(x, k, s) + highpass(x, k, s), x, atol=1e-6)
    assert blur_params(64) == (33, 2.0)
    # the low-pass really removes high frequencies: a checkerboard is (almost) wiped out
    checker = (torch.arange(size)[:, None] + torch.arange(size)[None]) % 2 * 2.0 - 1
    assert lowpass(checker[None, None], k, s).abs().max() < 0.05


@pytest.mark.parametrize("name", sorted(VIEW_MAP))
def test_each_view_is_inverted_by_inverse_view(name):
    v = VIEW_MAP[name]()
    x = torch.randn(2, 3, 16, 16)
    assert torch.equal(v.inverse_view(v.view(x)), x)
    if name != "identity":
        assert not torch.equal(v.view(x), x)


def test_anagram_and_hybrid_combine_as_spec():
    x = torch.randn(1, 1, 16, 16)
    f1, f2 = random_eps_fn(1), random_eps_fn(2)
    flip = VIEW_MAP["flip"]()
    got = anagram(f1, f2, flip)(x, 5).eps
    want = (f1(x, 5).eps + torch.flip(f2(torch.flip(x, [-2]), 5).eps, [-2])) / 2
    assert torch.allclose(got, want)
    got = hybrid(f1, f2, 7, 1.0)(x, 5).eps
    assert torch.allclose(got, lowpass(f1(x, 5).eps, 7, 1.0) + highpass(f2(x, 5).eps, 7, 1.0))
