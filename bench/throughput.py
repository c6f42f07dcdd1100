"""Training and sampling throughput (images/s) of the Part B models on the current device.

    python bench/throughput.py [--device cuda] [--threads N] [--channels-last]

Training: Adam steps at the SPEC batch sizes (denoiser D=128 / batch 256; DDPMs D=64 / batch 128),
after warm-up. Sampling: one UNet evaluation per image per DDPM step, batch 100 (the class model
with CFG evaluates 2 per step). Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from generator.diffusion.ddpm import denoiser_loss, drop_labels, eps_loss, time_input
from generator.diffusion.schedule import alphas_cumprod, linear_betas
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, warmup: int, reps: int) -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    sync(device)
    return (time.perf_counter() - t0) / reps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    g = torch.Generator().manual_seed(0)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    print(f"device {dev}, threads {args.threads}, channels_last {args.channels_last}")
    print(f"{'model':28} {'train img/s':>12} {'sample img-steps/s':>19}")
    cases = [
        ("single-step denoiser D=128", UnconditionalUNet(128), 256,
         lambda m, x, y: denoiser_loss(m, x, 0.5, g)),
        ("time-conditioned D=64", TimeConditionalUNet(64), 128, lambda m, x, y: eps_loss(m, x, ABAR, g)),
        ("class-conditioned D=64", ClassConditionalUNet(64), 128,
         lambda m, x, y: eps_loss(m, x, ABAR, g, drop_labels(F.one_hot(y, 10).float(), 0.1, g))),
    ]
    for name, model, batch, loss_fn in cases:
        model = model.to(dev).to(memory_format=fmt)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        x = torch.rand(batch, 1, 28, 28).to(dev).to(memory_format=fmt)
        y = torch.randint(0, 10, (batch,)).to(dev)

        def step():
            with amp:
                loss = loss_fn(model, x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        train_s = timed(step, dev, 2, args.reps)
        model.eval()
        xs = torch.randn(100, 1, 28, 28).to(dev).to(memory_format=fmt)
        tt = time_input(torch.full((100,), 150), 300).to(dev)

        @torch.no_grad()
        def sample_step():
            with amp:
                if isinstance(model, UnconditionalUNet):
                    model(xs)
                elif isinstance(model, TimeConditionalUNet):
                    model(xs, tt)
                else:
                    model(torch.cat([xs, xs]), torch.cat([tt, tt]), torch.zeros(200, 10, device=dev))

        sample_s = timed(sample_step, dev, 2, args.reps)
        model.train()
        print(f"{name:28} {batch / train_s:12.1f} {100 / sample_s:19.1f}")


if __name__ == "__main__":
    main()
