"""The least time the course's Part B can take in fp32 on one CPU thread: its arithmetic over the
fastest rate this core reaches.

    python bench/fp32_floor.py [--reps N] [--json]

For each experiment of the course's Part B in the committed cache (the judge, the three trainings,
section 14's measurements), the parameters are read from its manifest and the training-set size
from a training's log, and the work is counted in floating-point operations with torch's FlopCounterMode
(convolutions, transposed convolutions, matrix products; one multiply-add = 2 operations):

* a training image: the forward and backward pass of one image of the course's training step;
* a network evaluation: the forward pass of one image (a CFG step evaluates the class model twice);
* a training: epochs x training images, plus its looks (10 samples x T steps at each looked-at epoch)
  and, for the denoiser, its test error (kept epochs x noise levels x test digits);
* section 14's measurements: at each kept epoch, T steps for 100 time-conditioned samples and
  100 class-conditioned ones with CFG.

Two times follow from the count. The floor: every product at the best fp32 rate measured on one
thread (a 2048 x 2048 matrix product and the UNets' heaviest convolutions, 3x3 with 64 and 128
channels at 28x28, channels-last, the training batch; the fastest repetition of each). It is a lower
bound: it leaves out everything but the products (BatchNorm, GELU, Adam, the sampler's arithmetic,
the judge's features), and no network runs every layer at its best kernel's rate. And the time at
the rates this work reaches: each training's whole step as the build runs it (channels-last, Adam,
the course's batch) and each network's evaluation as sampling runs it (the folded copy, 100 images,
200 with CFG), the fastest repetition of each; the looks sample 10 or 20 images at a time, which
runs slower, so this too is optimistic. The recorded seconds of the committed results are printed
beside both. Not a test: the rates depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.throughput import cpu_description  # noqa: E402
from generator.diffusion.ddpm import drop_labels, eps_loss  # noqa: E402
from generator.experiments import (ddpm_results, mnist_classifier, train_class_ddpm, train_denoiser,  # noqa: E402
                                   train_time_ddpm)
from generator.experiments._ddpm_train import LOOK_SAMPLES, looks_within  # noqa: E402
from generator.experiments._partb import schedule_of  # noqa: E402
from generator.models.classifier import DigitClassifier  # noqa: E402
from generator.models.inference import for_sampling  # noqa: E402
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet  # noqa: E402
from generator.results import Result  # noqa: E402

CACHE = Path(__file__).resolve().parents[1] / "cache"
DENOISER_LOOK = 10     # test digits the single-step denoiser denoises after every epoch (one of each)
SAMPLE_BATCH = 100     # images per evaluation when the rate of sampling is measured (section 14 samples 100 at a time)

Part = tuple[float, float]          # (floating-point operations, GFLOP/s that this work reaches here)
Work = dict[str, list[Part]]        # experiment -> its training steps and its network evaluations


def committed(name: str) -> Result:
    """The one committed result of experiment ``name``."""
    (folder,) = (CACHE / name).iterdir()
    return Result(folder, json.loads((folder / "manifest.json").read_text()))


def flops(fn) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def best_rate(fn, ops: float, reps: int) -> float:
    """GFLOP/s of the fastest of ``reps`` calls of ``fn`` (``ops`` operations each), after two warm-up calls."""
    fn(), fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return ops / best / 1e9


def per_training_image(model, batch: int, loss, reps: int) -> Part:
    """The operations of one training image (forward and backward of a batch, over the batch), and the
    rate of a whole step as the build runs it (channels-last, Adam), fastest of ``reps``."""
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.rand(batch, 1, 28, 28).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    ops = flops(lambda: loss(model, x, y).backward())

    def step():
        opt.zero_grad(set_to_none=True)
        loss(model, x, y).backward()
        opt.step()
    return ops / batch, best_rate(step, ops, reps)


def per_evaluation(model, batch: int, reps: int, *extra: torch.Tensor) -> Part:
    """The operations of one network evaluation of one image (the forward pass), and its rate as sampling
    runs it (the BatchNorm-folded channels-last copy, inference mode) on ``batch`` images; ``extra`` is
    the per-image conditioning, each (1, ...)."""
    net = for_sampling(model)
    args = (torch.rand(batch, 1, 28, 28),) + tuple(e.expand(batch, *e.shape[1:]) for e in extra)
    with torch.inference_mode():
        ops = flops(lambda: net(*args))
    return ops / batch, best_rate(torch.inference_mode()(lambda: net(*args)), ops, reps)


def times(n: float, unit: Part) -> Part:
    return n * unit[0], unit[1]


def peak_rate(reps: int) -> dict[str, float]:
    """GFLOP/s of the fastest fp32 kernels on this thread: a matrix product and the UNets' heaviest convolutions."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    rates = {"matmul 2048": best_rate(lambda: a @ b, 2 * 2048 ** 3, reps)}
    for ch, batch in ((64, 128), (128, 256)):
        conv = torch.nn.Conv2d(ch, ch, 3, 1, 1).to(memory_format=torch.channels_last)
        x = torch.randn(batch, ch, 28, 28).to(memory_format=torch.channels_last)
        with torch.no_grad():
            rates[f"conv 3x3 {ch}ch 28x28 batch {batch}"] = best_rate(
                lambda: conv(x), 2 * batch * 28 * 28 * ch * ch * 9, reps)
    return rates


def part_b_work(reps: int) -> Work:
    """Floating-point operations of each experiment of the course's Part B at its committed parameters,
    in parts (training steps; network evaluations of each model), each with the rate it runs at here:
    training steps at the course's batch, evaluations at SAMPLE_BATCH images (CFG: twice that)."""
    g = torch.Generator().manual_seed(0)
    t1, null = torch.ones(1, 1), torch.zeros(1, 10)
    # every model learns from the same MNIST split (the same input in every key); the judge keeps no log
    n_train = committed("train_time_ddpm").json("log")["train_images"]
    work: Work = {}

    p = committed("mnist_classifier").params(mnist_classifier.Params)
    ce = lambda net, x, y: F.cross_entropy(net(x), y)  # noqa: E731
    work["mnist_classifier"] = [times(p.epochs * n_train, per_training_image(DigitClassifier(), p.batch_size, ce, reps))]

    d = committed("train_denoiser").params(train_denoiser.Params)
    net = UnconditionalUNet(d.D)
    mse = lambda n, x, y: F.mse_loss(n(x), x)  # noqa: E731
    n_test = committed("mnist_classifier").json("accuracy")["test_images"]
    work["train_denoiser"] = [
        times(d.epochs * n_train, per_training_image(net, d.batch_size, mse, reps)),
        times(d.epochs * DENOISER_LOOK + len(d.keep_epochs) * len(d.test_sigmas) * n_test,
              per_evaluation(net.eval(), SAMPLE_BATCH, reps))]

    evaluation: dict[str, Part] = {}
    for name, module, network, cfg in (("train_time_ddpm", train_time_ddpm, TimeConditionalUNet, 1),
                                       ("train_class_ddpm", train_class_ddpm, ClassConditionalUNet, 2)):
        t = committed(name).params(module.Params)
        abar, T = schedule_of(t)
        p_uncond = getattr(t, "p_uncond", 0.0)

        def loss(n, x, y, abar=abar, p_uncond=p_uncond, cls=(cfg == 2)):
            return eps_loss(n, x, abar, g, drop_labels(F.one_hot(y, 10).float(), p_uncond, g) if cls else None)

        model = network(t.D)
        step = per_training_image(model, t.batch_size, loss, reps)
        evaluation[name] = per_evaluation(model.eval(), cfg * SAMPLE_BATCH, reps, *((t1, null) if cfg == 2 else (t1,)))
        work[name] = [times(t.epochs * n_train, step),
                      times(len(looks_within(t.look_epochs, t.epochs)) * LOOK_SAMPLES * T * cfg, evaluation[name])]

    r = committed("ddpm_results").params(ddpm_results.Params)
    t = committed("train_time_ddpm").params(train_time_ddpm.Params)
    steps = len(t.keep_epochs) * t.T
    work["ddpm_results"] = [times(steps * max(10 * r.eval_per_digit, r.time_show), evaluation["train_time_ddpm"]),
                            times(steps * 10 * r.eval_per_digit * 2, evaluation["train_class_ddpm"])]
    return work


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each kernel and step; the fastest counts")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cpu = cpu_description()
    kernels = peak_rate(args.reps)
    peak = max(kernels.values())
    work = part_b_work(args.reps)
    recorded = {name: committed(name).manifest["provenance"]["seconds"] for name in work}
    ops = {name: sum(o for o, _ in parts) for name, parts in work.items()}
    floor = {name: o / 1e9 / peak for name, o in ops.items()}
    measured = {name: sum(o / 1e9 / rate for o, rate in parts) for name, parts in work.items()}
    print(f"{cpu['cpu']}, one thread, torch {torch.__version__}")
    for k, v in kernels.items():
        print(f"  {k:36s} {v:6.1f} GFLOP/s")
    print(f"\n{'experiment':18s} {'TFLOP':>7s} {'GFLOP/s reached':>24s} {'floor s':>8s} {'at those rates s':>17s} "
          f"{'recorded s':>11s}")
    for name, parts in work.items():
        reached = " / ".join(f"{rate:.0f}" for _, rate in parts)
        print(f"{name:18s} {ops[name] / 1e12:7.1f} {reached:>24s} {floor[name]:8.0f} {measured[name]:17.0f} "
              f"{recorded[name]:11.0f}")
    print(f"{'all':18s} {sum(ops.values()) / 1e12:7.1f} {'':24s} {sum(floor.values()):8.0f} "
          f"{sum(measured.values()):17.0f} {sum(recorded.values()):11.0f}")
    print(f"\n(GFLOP/s reached: training step / evaluations.) With every product at {peak:.1f} GFLOP/s, the fastest "
          f"kernel above, the course's Part B needs at least {sum(floor.values()):,.0f} s in fp32 on one thread of "
          f"this CPU; at the rates its training steps and evaluations reach, {sum(measured.values()):,.0f} s.")
    if args.json:
        print(json.dumps({**cpu, "torch": torch.__version__, "threads": 1, "kernel_gflops": kernels,
                          "reached_gflops": {k: [r for _, r in parts] for k, parts in work.items()},
                          "tflop": {k: o / 1e12 for k, o in ops.items()}, "floor_s": sum(floor.values()),
                          "at_reached_rates_s": sum(measured.values()), "recorded_s": recorded,
                          "date": time.strftime("%Y-%m-%d")}))


if __name__ == "__main__":
    main()
