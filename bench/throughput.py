"""Training and sampling throughput (images/s) of the Part B models on the current device,
before and after the speed-ups the build uses.

    python bench/throughput.py [--device cuda] [--threads N] [--reps N]

Training: Adam steps at the course's batch sizes (docs/course.md) (denoiser D=128 / batch 256; DDPMs D=64 / batch 128),
after warm-up; "eager" is the plain NCHW model, "build" is ``generator/train.py`` (channels-last).
Sampling: one network evaluation per image per DDPM step, batch 100 (the class model with CFG
evaluates the unconditional and conditional halves in one batch of 200 and counts as 100);
"eager" is the eval-mode model, "build" is ``models/inference.for_sampling`` (BatchNorm folded,
channels-last). On CUDA both use bf16 autocast as the build does. Not a test: numbers depend on the
machine and its load.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from generator.diffusion.ddpm import denoiser_loss, drop_labels, eps_loss, time_input
from generator.diffusion.schedule import alphas_cumprod, linear_betas
from generator.models.inference import for_sampling
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet
from generator.train import MEMORY_FORMAT

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))


def timed(fn, device: torch.device, warmup: int, reps: int) -> float:
    """Seconds per call, after warm-up, with the device drained before and after."""
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps


def train_rate(make, batch: int, loss_fn, fmt, dev, amp, reps: int) -> float:
    torch.manual_seed(0)
    model = make().to(dev, memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 1, 28, 28).to(dev, memory_format=fmt)
    y = torch.randint(0, 10, (batch,)).to(dev)

    def step():
        with amp:
            loss = loss_fn(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return batch / timed(step, dev, 2, reps)


def sample_rate(model, dev, amp, reps: int) -> float:
    xs = torch.randn(100, 1, 28, 28, device=dev)
    tt = time_input(torch.full((100,), 150), 300).to(dev)
    if isinstance(model, ClassConditionalUNet):  # CFG: unconditional and conditional halves
        args = (torch.cat([xs, xs]), torch.cat([tt, tt]), torch.zeros(200, 10, device=dev))
    elif isinstance(model, TimeConditionalUNet):
        args = (xs, tt)
    else:
        args = (xs,)

    @torch.inference_mode()
    def step():
        with amp:
            model(*args)

    return 100 / timed(step, dev, 2, reps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    print(f"device {dev} ({name}), torch {torch.__version__}, threads {args.threads}, reps {args.reps}")
    print(f"{'model':28} {'train img/s':>25} {'sample img-steps/s':>25}")
    print(f"{'':28} {'eager':>8} {'build':>8} {'speed-up':>8} {'eager':>8} {'build':>8} {'speed-up':>8}")
    cases = [
        ("single-step denoiser D=128", lambda: UnconditionalUNet(128), 256,
         lambda m, x, y: denoiser_loss(m, x, 0.5, g)),
        ("time-conditioned D=64", lambda: TimeConditionalUNet(64), 128, lambda m, x, y: eps_loss(m, x, ABAR, g)),
        ("class-conditioned D=64", lambda: ClassConditionalUNet(64), 128,
         lambda m, x, y: eps_loss(m, x, ABAR, g, drop_labels(F.one_hot(y, 10).float(), 0.1, g))),
    ]
    for label, make, batch, loss_fn in cases:
        t_before = train_rate(make, batch, loss_fn, torch.contiguous_format, dev, amp, args.reps)
        t_after = train_rate(make, batch, loss_fn, MEMORY_FORMAT, dev, amp, args.reps)
        model = make().to(dev).eval()
        s_before = sample_rate(model, dev, amp, args.reps)
        s_after = sample_rate(for_sampling(model), dev, amp, args.reps)
        print(f"{label:28} {t_before:8.1f} {t_after:8.1f} {t_after / t_before:7.2f}x "
              f"{s_before:8.1f} {s_after:8.1f} {s_after / s_before:7.2f}x", flush=True)


if __name__ == "__main__":
    main()
