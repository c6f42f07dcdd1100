"""The scratch UNets: shapes, conditioning, label dropout."""
import torch
import torch.nn.functional as F

from generator.diffusion.ddpm import drop_labels, time_input
from generator.models.unet import (
    ClassConditionalUNet,
    TimeConditionalUNet,
    UnconditionalUNet,
    parameter_count,
)


def test_shapes_and_widths():
    x = torch.randn(3, 1, 28, 28)
    for model in (UnconditionalUNet(8), TimeConditionalUNet(8), ClassConditionalUNet(8)):
        model.eval()
        args = (x,) if isinstance(model, UnconditionalUNet) else (x, torch.rand(3, 1))
        if isinstance(model, ClassConditionalUNet):
            args += (torch.zeros(3, 10),)
        assert model(*args).shape == (3, 1, 28, 28)
    assert parameter_count(UnconditionalUNet(16)) < parameter_count(UnconditionalUNet(32))


def modulated(model, *args):
    """Inputs of up1 and up2: the two places where conditioning enters (unflatten and up1 outputs)."""
    seen = []
    hooks = [getattr(model.trunk, n).register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach()))
             for n in ("up1", "up2")]
    out = model(*args)
    for h in hooks:
        h.remove()
    return out, seen


def test_time_conditioning_changes_output():
    torch.manual_seed(0)
    m = TimeConditionalUNet(8).eval()
    x = torch.randn(2, 1, 28, 28)
    a, fa = modulated(m, x, time_input(torch.tensor([10, 10]), 300))
    b, fb = modulated(m, x, time_input(torch.tensor([250, 250]), 300))
    assert torch.equal(a, m(x, time_input(torch.tensor([10, 10]), 300)))
    # both modulation points move clearly; at initialisation the BatchNorms after them absorb most of
    # a per-channel shift, so the output itself moves only a little, but it moves
    assert all((p - q).abs().max() > 1e-2 for p, q in zip(fa, fb))
    assert (a - b).abs().max() > 1e-7


def test_class_conditioning_changes_output():
    torch.manual_seed(0)
    m = ClassConditionalUNet(8).eval()
    x, t = torch.randn(2, 1, 28, 28), torch.full((2, 1), 0.5)
    c3 = F.one_hot(torch.tensor([3, 3]), 10).float()
    c7 = F.one_hot(torch.tensor([7, 7]), 10).float()
    for other in (c7, torch.zeros(2, 10)):
        a, fa = modulated(m, x, t, c3)
        b, fb = modulated(m, x, t, other)
        assert all((p - q).abs().max() > 1e-3 for p, q in zip(fa, fb))
        assert (a - b).abs().max() > 1e-7


def test_unconditional_dropout_rate():
    c = F.one_hot(torch.arange(10).repeat(2000), 10).float()
    dropped = drop_labels(c, 0.1, torch.Generator().manual_seed(0))
    rate = (dropped.sum(1) == 0).float().mean().item()
    assert abs(rate - 0.1) < 0.01  # 20,000 draws: 3 standard errors ~ 0.0064
    kept = dropped.sum(1) == 1
    assert torch.equal(dropped[kept], c[kept])


def test_time_input_is_one_indexed_over_T():
    assert torch.allclose(time_input(torch.tensor([0, 299]), 300), torch.tensor([[1 / 300], [1.0]]))


def _fit(model, cond_a: tuple, cond_b: tuple, steps: int = 40) -> float:
    """Train ``model`` to output +0.5 everywhere under condition a and -0.5 under b, on the same
    random inputs for both: a network that ignored its conditioning could not get below MSE 0.25."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(8, 1, 28, 28).repeat(2, 1, 1, 1)
    target = torch.cat([torch.full((8, 1, 28, 28), 0.5), torch.full((8, 1, 28, 28), -0.5)])
    cond = tuple(torch.cat([a, b]) for a, b in zip(cond_a, cond_b))
    for _ in range(steps):
        loss = F.mse_loss(model(x, *cond), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss.detach())


def test_the_time_conditioning_carries_information():
    loss = _fit(TimeConditionalUNet(8), (time_input(torch.full((8,), 10), 300),),
                (time_input(torch.full((8,), 250), 300),))
    assert loss < 0.05, loss


def test_the_class_conditioning_carries_information():
    t = torch.full((8, 1), 0.5)
    c3, c7 = (F.one_hot(torch.full((8,), d), 10).float() for d in (3, 7))
    assert _fit(ClassConditionalUNet(8), (t, c3), (t, c7)) < 0.05
    assert _fit(ClassConditionalUNet(8), (t, c3), (t, torch.zeros(8, 10))) < 0.05   # the null class too


def test_a_network_that_ignores_its_conditioning_cannot_pass_the_fit():
    """The control: the same fit with the condition thrown away stays near MSE 0.25."""
    class Blind(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = UnconditionalUNet(8)

        def forward(self, x, *cond):
            return self.net(x)

    assert _fit(Blind(), (torch.zeros(8, 1),), (torch.ones(8, 1),)) > 0.2
