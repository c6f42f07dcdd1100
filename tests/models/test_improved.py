"""The section-15 network, its EMA and its Part A backend."""
import shutil

import pytest
import torch
from diffusers.models.embeddings import get_timestep_embedding

from generator.diffusion.flow import flow_loss
from generator.models.ema import WithEMA
from generator.models.improved_backend import FlowBackend, ImprovedBackend
from generator.models.improved_unet import Attention, ImprovedUNet, sinusoidal_embedding
from generator.train import TrainConfig, seeded_init, train


def test_shapes_and_null_class():
    net = ImprovedUNet((8, 16, 16)).eval()
    x, s = torch.randn(3, 1, 28, 28), torch.rand(3, 1)
    assert net(x, s, torch.eye(10)[:3]).shape == (3, 1, 28, 28)
    assert torch.equal(net(x, s), net(x, s, torch.zeros(3, 10)))   # no class = the all-zero null class
    with pytest.raises(ValueError, match="28, 28"):
        net(torch.randn(1, 1, 32, 32), torch.rand(1, 1))


def test_attention_keeps_the_shape_and_mixes_positions():
    a = Attention(16).eval()
    x = torch.randn(2, 16, 7, 7)
    y = a(x)
    assert y.shape == x.shape
    x2 = x.clone()
    x2[:, :, 0, 0] += 1          # one position changes: attention carries it everywhere
    assert (a(x2) - y)[:, :, 6, 6].abs().max() > 0


def test_sinusoidal_embedding_equals_diffusers():
    s = torch.tensor([0.0, 0.001, 0.5, 1.0])
    ref = get_timestep_embedding(s * 1000, 32, flip_sin_to_cos=False, downscale_freq_shift=0)
    assert torch.allclose(sinusoidal_embedding(s, 32), ref, atol=1e-5)


def test_ema_update_and_warm_up():
    net = torch.nn.Linear(2, 1, bias=False)
    m = WithEMA(net, decay=0.9)
    w0 = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    m.update()                   # k = 0: d = min(0.9, 1/10) = 0.1
    assert torch.allclose(m.ema.weight, 0.1 * w0 + 0.9 * (w0 + 1))
    for _ in range(100):
        m.update()               # d reaches the cap 0.9; the average converges on the weights
    assert torch.allclose(m.ema.weight, net.weight, atol=1e-4)
    assert int(m.updates) == 101 and not any(p.requires_grad for p in m.ema.parameters())


def test_interrupted_training_with_ema_resumes_exactly(tmp_path):
    x, y = torch.rand(48, 1, 28, 28), torch.randint(0, 10, (48,))
    cfg = TrainConfig(3, 16, 2e-3, 0.5)

    def loss(m, xb, yb, g):
        return flow_loss(m, 2 * xb - 1, g, torch.nn.functional.one_hot(yb, 10).float())

    def run(stop: bool):
        shutil.rmtree(tmp_path / "w", ignore_errors=True)
        make = lambda: seeded_init(lambda: WithEMA(ImprovedUNet((4, 8, 8))), 0)  # noqa: E731
        m = make()
        if stop:
            train(m, loss, x, y, cfg, 0, torch.device("cpu"), tmp_path / "w", stop_after_epoch=1)
            m = make()
        train(m, loss, x, y, cfg, 0, torch.device("cpu"), tmp_path / "w")
        m.finish()
        return m.state_dict()

    a, b = run(False), run(True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert int(a["updates"]) == 3 * 3 + 1
    assert any(not torch.equal(a[k], a[k.replace("ema.", "net.", 1)]) for k in a if k.startswith("ema."))


def test_flow_backend_gives_consistent_ddpm_predictions():
    b = FlowBackend(ImprovedUNet((4, 8, 8)).eval(), torch.device("cpu"))
    x = torch.randn(2, 1, 28, 28)
    eps = b.predict(x, 500, b.embed("a handwritten 3").expand(2, 10)).eps
    assert eps.shape == x.shape and torch.isfinite(eps).all()
    img = torch.rand(1, 28, 28)
    assert torch.allclose(b.to_image(b.from_image(img)), img, atol=1e-6)   # [0, 1] <-> [-1, 1]
    with pytest.raises(NotImplementedError):   # the shared base predicts nothing of its own
        ImprovedBackend(ImprovedUNet((4, 8, 8)), torch.device("cpu")).predict(x, 500, torch.zeros(2, 10))
