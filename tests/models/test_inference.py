"""Sampling copies (BatchNorm folded, channels-last) compute the same function as the eval model,
and channels-last training computes the same loss and gradients as the default layout."""
import copy

import pytest
import torch
from torch import nn

from generator.diffusion.ddpm import eps_loss, time_input
from generator.diffusion.schedule import alphas_cumprod, linear_betas
from generator.models.inference import fold_batchnorm, for_sampling
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet


def trained_looking(model: nn.Module) -> nn.Module:
    """Random BatchNorm statistics and affine terms, so folding has something to fold."""
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    return model.eval()


def inputs(b=6):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(b, 1, 28, 28, generator=g)
    t = time_input(torch.randint(0, 300, (b,), generator=g), 300)
    c = nn.functional.one_hot(torch.arange(b) % 10, 10).float()
    c[0] = 0  # the null class
    return x, t, c


@pytest.mark.parametrize("cls", [UnconditionalUNet, TimeConditionalUNet, ClassConditionalUNet])
def test_sampling_copy_computes_the_same_function(cls):
    torch.manual_seed(0)
    model = trained_looking(cls(8))
    x, t, c = inputs()
    args = {UnconditionalUNet: (x,), TimeConditionalUNet: (x, t), ClassConditionalUNet: (x, t, c)}[cls]
    fast = for_sampling(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules()), "the original is left alone"
    with torch.no_grad():
        ref, out = model(*args), fast(*args)
    assert ref.abs().max() > 0.1
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


def test_folding_changes_nothing_but_batchnorm():
    model = trained_looking(TimeConditionalUNet(4))
    folded = fold_batchnorm(model)
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert n_bn > 0
    assert sum(isinstance(m, nn.Identity) for m in folded.modules()) == n_bn
    # and the folded network computes the same function (each BatchNorm went into its convolution)
    x, t, _ = inputs()
    with torch.no_grad():
        torch.testing.assert_close(folded(x, t), model(x, t), rtol=1e-4, atol=1e-5)
        assert (folded(x, t) - model(x, t)).abs().max() < 1e-4 * model(x, t).abs().max()


def test_channels_last_training_has_the_same_loss_and_gradients():
    abar = alphas_cumprod(linear_betas(300, 1e-4, 0.02))
    torch.manual_seed(0)
    ref = ClassConditionalUNet(8)
    cl = copy.deepcopy(ref).to(memory_format=torch.channels_last)
    x, _, c = inputs(8)
    grads = []
    for model, xb in ((ref, x), (cl, x.to(memory_format=torch.channels_last))):
        loss = eps_loss(model, xb, abar, torch.Generator().manual_seed(1), c)
        loss.backward()
        grads.append((loss.detach(), [p.grad for p in model.parameters()]))
    torch.testing.assert_close(grads[1][0], grads[0][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(grads[1][1], grads[0][1]):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-5)
