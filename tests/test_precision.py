"""bf16 (``--precision bf16``): the same functions as fp32 within a stated tolerance, on any CPU, and a
regime of its own in every key."""
import json
import re

import torch
import torch.nn.functional as F

from generator.diffusion.ddpm import eps_loss, time_input
from generator.diffusion.schedule import alphas_cumprod, linear_betas
from generator.models.inference import for_sampling
from generator.models.unet import ClassConditionalUNet
from generator.train import MEMORY_FORMAT, seeded_init

from .tiny_report import build

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))
# bf16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2%); through a UNet's ~20 layers the
# errors add up to about 1% of the output (bench/throughput.py measured 0.2-0.5% on the noise estimate)
TOLERANCE = 0.03


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


def test_a_bf16_training_step_computes_the_fp32_step():
    """One Adam step of the class-conditioned UNet (D = 16, batch 32) from the same weights and data:
    the loss and the change of the weights agree with fp32 within TOLERANCE."""
    x = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(1)).contiguous(memory_format=MEMORY_FORMAT)
    c = F.one_hot(torch.arange(32) % 10, 10).float()
    results = {}
    for precision in ("fp32", "bf16"):
        model = seeded_init(lambda: ClassConditionalUNet(16), 0).to(memory_format=MEMORY_FORMAT)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        regime = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
        with regime:
            loss = eps_loss(model, x, ABAR, torch.Generator().manual_seed(2), c)
        loss.backward()
        opt.step()
        results[precision] = (float(loss), torch.cat([(model.state_dict()[k] - before[k]).flatten().float()
                                                      for k in before if before[k].is_floating_point()]))
    (l32, d32), (l16, d16) = results["fp32"], results["bf16"]
    assert abs(l16 - l32) / l32 < TOLERANCE
    # Adam's first step is lr * sign(g) wherever |g| >> eps: the bf16 step moves the same weights the same way
    assert rel(d16, d32) < 0.25 and float((d16.sign() == d32.sign()).float().mean()) > 0.9


def test_a_bf16_sampling_step_computes_the_fp32_noise_estimate():
    model = for_sampling(seeded_init(lambda: ClassConditionalUNet(16), 0))
    x = torch.randn(20, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    t = time_input(torch.full((20,), 150), 300)
    c = F.one_hot(torch.arange(20) % 10, 10).float()
    with torch.no_grad():
        ref = model(x, t, c)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(x, t, c).float()
    assert 0 < rel(low, ref) < TOLERANCE   # bf16 did run (not exactly fp32), and agrees


def test_the_regime_is_in_every_key_and_a_cached_regime_is_used_only_where_none_is_asked(proj, capsys):
    """The committed-like tiny build is fp32 on the CPU: asking for bf16 finds every result stale for
    that reason; without --precision, a cache holding only bf16 results renders from them (and the
    summary says bf16), while an explicit --precision fp32 refuses to use them."""
    import shutil

    code, out, _ = build(proj, "--explain", "--precision", "bf16", capsys=capsys)
    assert code == 0
    rows = [ln for ln in out.splitlines() if re.match(r"\w+\s+(stale|fresh|missing)", ln)]
    assert rows and all(" stale " in r and "numerics" in r for r in rows), out
    for man in (proj / "cache").glob("*/*/manifest.json"):
        assert json.loads(man.read_text())["ingredients"]["numerics"] == {"device": "cpu", "precision": "fp32"}

    shutil.rmtree(proj / "cache")
    assert build(proj, "--precision", "bf16", capsys=capsys)[0] == 0
    code, out, _ = build(proj, "--frozen", capsys=capsys)
    assert code == 0 and "cpu, bf16" in out
    code, _, err = build(proj, "--frozen", "--precision", "fp32", capsys=capsys)
    assert code == 2 and "--frozen" in err
