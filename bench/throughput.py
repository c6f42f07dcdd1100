"""Training and sampling throughput (images/s) of the Part B models on the current device,
before and after the speed-ups the build uses.

    python bench/throughput.py [--device cuda] [--threads N] [--reps N]

Training: Adam steps at the course's batch sizes (docs/course.md) (denoiser D=128 / batch 256; DDPMs D=64 / batch 128),
after warm-up; "eager" is the plain NCHW model, "build" is ``generator/train.py`` (channels-last).
Sampling: one network evaluation per image per DDPM step, batch 100 (the class model with CFG
evaluates the unconditional and conditional halves in one batch of 200 and counts as 100);
"eager" is the eval-mode model, "build" is ``models/inference.for_sampling`` (BatchNorm folded,
channels-last). On CUDA both use bf16 autocast as the build does. On the CPU, where the build runs in
fp32, a third column measures the build's path under bf16 autocast, and the last column gives the
relative error of its noise estimate against fp32 (||eps_bf16 - eps_fp32|| / ||eps_fp32||, the
sampling batch). The header names the CPU and its bf16 units: AMX (amx_bf16) and AVX512-BF16
(avx512_bf16) from /proc/cpuinfo, and torch's CPU capability. Not a test: numbers depend on the
machine and its load. ``--json`` prints one JSON line as well (bench/results/).
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from contextlib import nullcontext
from pathlib import Path

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


def cpu_description() -> dict:
    """The CPU's model name, its bf16 units and torch's view of it (Linux; elsewhere what is known)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")),
                platform.processor() or "unknown")
    flags = set(next((ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), []))
    return {"cpu": name, "amx_bf16": "amx_bf16" in flags, "avx512_bf16": "avx512_bf16" in flags,
            "torch_capability": torch.backends.cpu.get_cpu_capability()}


@torch.inference_mode()
def eps_error(model, dev) -> float:
    """Relative error of the bf16-autocast noise estimate against fp32, on the sampling batch."""
    xs = torch.randn(100, 1, 28, 28, generator=torch.Generator().manual_seed(1)).to(dev)
    tt = time_input(torch.full((100,), 150), 300).to(dev)
    args = ((xs, tt, F.one_hot(torch.arange(100) % 10, 10).float().to(dev)) if isinstance(model, ClassConditionalUNet)
            else (xs, tt) if isinstance(model, TimeConditionalUNet) else (xs,))
    ref = model(*args).float()
    with torch.autocast(dev.type, dtype=torch.bfloat16):
        low = model(*args).float()
    return float((low - ref).norm() / ref.norm())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    g = torch.Generator().manual_seed(0)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else nullcontext()
    bf16 = torch.autocast(dev.type, dtype=torch.bfloat16)
    cpu = cpu_description()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu["cpu"]
    print(f"device {dev} ({name}), torch {torch.__version__}, threads {args.threads}, reps {args.reps}")
    if dev.type == "cpu":
        print(f"bf16 units: AMX {'yes' if cpu['amx_bf16'] else 'no'}, AVX512-BF16 "
              f"{'yes' if cpu['avx512_bf16'] else 'no'}; torch CPU capability {cpu['torch_capability']}")
    print(f"{'model':28} {'train img/s':>35} {'sample img-steps/s':>35} {'eps error':>10}")
    print(f"{'':28} {'eager':>8} {'build':>8} {'bf16':>8} {'bf16 x':>8} {'eager':>8} {'build':>8} {'bf16':>8} "
          f"{'bf16 x':>8} {'bf16':>10}")
    rows = []
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
        t_bf16 = train_rate(make, batch, loss_fn, MEMORY_FORMAT, dev, bf16, args.reps)
        model = make().to(dev).eval()
        s_before = sample_rate(model, dev, amp, args.reps)
        fast = for_sampling(model)
        s_after = sample_rate(fast, dev, amp, args.reps)
        s_bf16 = sample_rate(fast, dev, bf16, args.reps)
        err = eps_error(fast, dev)
        print(f"{label:28} {t_before:8.1f} {t_after:8.1f} {t_bf16:8.1f} {t_bf16 / t_after:7.2f}x "
              f"{s_before:8.1f} {s_after:8.1f} {s_bf16:8.1f} {s_bf16 / s_after:7.2f}x {100 * err:9.2f}%", flush=True)
        rows.append({"model": label, "train": {"eager": t_before, "build": t_after, "bf16": t_bf16},
                     "sample": {"eager": s_before, "build": s_after, "bf16": s_bf16}, "eps_rel_error_bf16": err})
    if args.json:
        print(json.dumps({"device": str(dev), **cpu, "torch": torch.__version__, "threads": args.threads,
                          "reps": args.reps, "rows": rows}))


if __name__ == "__main__":
    main()
