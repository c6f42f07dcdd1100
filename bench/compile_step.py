"""Is torch.compile worth it for section 15's training on this CPU? One Adam step of the flow
model (``ImprovedUNet`` at the build's widths, batch 64, channels-last, fp32), eager against
``torch.compile`` (inductor), at the thread count given; prints one JSON line.

    python bench/compile_step.py [--threads N] [--reps N]

"compile_s" is the first compiled step (tracing and code generation) minus an eager step: what
a build would pay once per training. Not a test: numbers depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import json
import platform

import torch
import torch.nn.functional as F

from generator.diffusion.ddpm import drop_labels
from generator.diffusion.flow import flow_loss
from generator.experiments._improved_train import ImprovedParams
from generator.models.improved_unet import ImprovedUNet
from generator.train import MEMORY_FORMAT
from throughput import timed   # bench/throughput.py (this script's folder is on sys.path)

CPU = torch.device("cpu")


def step_fn(model, batch: int):
    """One Adam step of the flow-matching loss on fixed random digits (B, 1, 28, 28) in [-1, 1]."""
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = (2 * torch.rand(batch, 1, 28, 28, generator=g) - 1).contiguous(memory_format=MEMORY_FORMAT)
    y = torch.randint(0, 10, (batch,), generator=g)

    def step():
        loss = flow_loss(model, x, g, drop_labels(F.one_hot(y, 10).float(), 0.1, g))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    p = ImprovedParams()

    def model():
        torch.manual_seed(0)
        return ImprovedUNet(p.widths, attention=p.attention).to(memory_format=MEMORY_FORMAT)

    t_eager = timed(step_fn(model(), p.batch_size), CPU, 1, args.reps)
    compiled = step_fn(torch.compile(model()), p.batch_size)
    first = timed(compiled, CPU, 0, 1)                   # traces and generates code
    t_comp = timed(compiled, CPU, 1, args.reps)
    print(json.dumps({"threads": args.threads, "batch": p.batch_size, "widths": list(p.widths),
                      "eager_img_s": round(p.batch_size / t_eager, 1),
                      "compiled_img_s": round(p.batch_size / t_comp, 1),
                      "speed_up": round(t_eager / t_comp, 2), "compile_s": round(first - t_eager, 1),
                      "torch": torch.__version__, "cpu": platform.processor() or platform.machine()}))


if __name__ == "__main__":
    main()
