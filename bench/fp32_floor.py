"""The least time the course's Part B can take in fp32 on one CPU thread: its arithmetic over the
fastest rate this core reaches.

    python bench/fp32_floor.py [--reps N] [--json]

For each experiment of the course's Part B in the committed cache (the judge, the three trainings,
section 14's measurements), the parameters are read from its manifest and the training-set size
from its log, and the work is counted in floating-point operations with torch's FlopCounterMode
(convolutions, transposed convolutions, matrix products; one multiply-add = 2 operations):

* a training image: the forward and backward pass of one image of the course's training step;
* a network evaluation: the forward pass of one image (a CFG step evaluates the class model twice);
* a training: epochs x training images, plus its looks (10 samples x T steps at each looked-at epoch)
  and, for the denoiser, its test error (kept epochs x noise levels x test digits);
* section 14's measurements: at each kept epoch, T steps for 100 time-conditioned samples and
  100 class-conditioned ones with CFG.

The rate is the best fp32 rate measured on one thread: a 2048 x 2048 matrix product and the UNets'
heaviest convolutions (3x3, 64 and 128 channels at 28x28, channels-last, the training batch), the
fastest repetition of each. Dividing the count by it gives a lower bound: it leaves out
everything but the products (BatchNorm, GELU, Adam, sampling arithmetic, the judge's features),
and no real network runs every layer at its best kernel's rate. The recorded seconds of the
committed results are printed beside it. Not a test: the rate depends on the machine.
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
from generator.diffusion.schedule import alphas_cumprod, linear_betas  # noqa: E402
from generator.experiments._ddpm_train import LOOK_SAMPLES  # noqa: E402
from generator.models.classifier import DigitClassifier  # noqa: E402
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet  # noqa: E402

CACHE = Path(__file__).resolve().parents[1] / "cache"
DENOISER_LOOK = 10     # test digits the single-step denoiser denoises after every epoch (one of each)


def entry(name: str) -> tuple[dict, Path]:
    """The manifest and folder of the one committed result of ``name``."""
    (folder,) = (CACHE / name).iterdir()
    return json.loads((folder / "manifest.json").read_text()), folder


def flops(fn) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def train_flops(model, batch: int, loss) -> float:
    """Operations of one training image: forward and backward of a batch, over the batch."""
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    return flops(lambda: loss(model, x, y).backward()) / batch


def step_rate(model, batch: int, loss, reps: int) -> float:
    """GFLOP/s of a whole training step as the build runs it (channels-last, Adam), fastest of ``reps``."""
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.rand(batch, 1, 28, 28).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss(model, x, y).backward()
        opt.step()
    return best_rate(step, train_flops(model, batch, loss) * batch, reps) / 1e9


@torch.no_grad()
def eval_flops(model, *extra) -> float:
    """Operations of one network evaluation of one image (the forward pass)."""
    return float(flops(lambda: model(torch.rand(1, 1, 28, 28), *extra)))


def best_rate(fn, ops: float, reps: int) -> float:
    """Operations per second of the fastest of ``reps`` calls, after two warm-up calls."""
    fn(), fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return ops / best


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
    return {k: v / 1e9 for k, v in rates.items()}


Work = dict[str, tuple[float, float, float]]   # experiment -> (training ops, evaluation ops, step GFLOP/s)


def part_b_work(reps: int) -> Work:
    """Floating-point operations of each experiment of the course's Part B at its committed parameters,
    split into training steps and network evaluations, with the measured rate of its training step
    (0 where it trains nothing)."""
    abar = alphas_cumprod(linear_betas(300, 1e-4, 0.02))
    g = torch.Generator().manual_seed(0)
    work: Work = {}

    p = entry("mnist_classifier")[0]["ingredients"]["params"]
    judge = DigitClassifier()
    ce = lambda net, x, y: F.cross_entropy(net(x), y)  # noqa: E731
    work["mnist_classifier"] = (p["epochs"] * _train_images("train_time_ddpm") * train_flops(judge, p["batch_size"], ce),
                                0.0, step_rate(judge, p["batch_size"], ce, reps))

    p = entry("train_denoiser")[0]["ingredients"]["params"]
    net = UnconditionalUNet(p["D"])
    mse = lambda n, x, y: F.mse_loss(n(x), x)  # noqa: E731
    n_test = json.loads((entry("mnist_classifier")[1] / "accuracy.json").read_text())["test_images"]
    work["train_denoiser"] = (
        p["epochs"] * _train_images("train_denoiser") * train_flops(net, p["batch_size"], mse),
        (p["epochs"] * DENOISER_LOOK + len(p["keep_epochs"]) * len(p["test_sigmas"]) * n_test) * eval_flops(net.eval()),
        step_rate(net.train(), p["batch_size"], mse, reps))

    t1 = torch.ones(1, 1)
    for name, network, evals in (("train_time_ddpm", TimeConditionalUNet, 1), ("train_class_ddpm", ClassConditionalUNet, 2)):
        p = entry(name)[0]["ingredients"]["params"]
        model = network(p["D"])
        looks = sorted({e for e in p["look_epochs"] if e < p["epochs"]} | {p["epochs"]})

        def loss(n, x, y, cls=(evals == 2)):
            return eps_loss(n, x, abar, g, drop_labels(F.one_hot(y, 10).float(), 0.1, g) if cls else None)

        extra = (t1, torch.zeros(1, 10)) if evals == 2 else (t1,)
        work[name] = (p["epochs"] * _train_images(name) * train_flops(model, p["batch_size"], loss),
                      len(looks) * LOOK_SAMPLES * p["T"] * evals * eval_flops(model.eval(), *extra),
                      step_rate(model.train(), p["batch_size"], loss, reps))

    p = entry("ddpm_results")[0]["ingredients"]["params"]
    tp = entry("train_time_ddpm")[0]["ingredients"]["params"]
    per_epoch = (max(10 * p["eval_per_digit"], p["time_show"]) * eval_flops(TimeConditionalUNet(tp["D"]).eval(), t1)
                 + 10 * p["eval_per_digit"] * 2 * eval_flops(ClassConditionalUNet(tp["D"]).eval(), t1,
                                                            torch.zeros(1, 10)))
    work["ddpm_results"] = (0.0, len(tp["keep_epochs"]) * tp["T"] * per_epoch, 0.0)
    return work


def _train_images(name: str) -> int:
    return json.loads((entry(name)[1] / "log.json").read_text())["train_images"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each kernel and step; the fastest counts")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cpu = cpu_description()
    rates = peak_rate(args.reps)
    peak = max(rates.values())
    work = part_b_work(args.reps)
    recorded = {name: entry(name)[0]["provenance"]["seconds"] for name in work}
    floor = {name: (tr + ev) / 1e9 / peak for name, (tr, ev, _) in work.items()}
    # the trainings at the rate their whole step reaches, the evaluations still at the best kernel's
    stepped = {name: (tr / 1e9 / rate if rate else 0.0) + ev / 1e9 / peak for name, (tr, ev, rate) in work.items()}
    print(f"{cpu['cpu']}, one thread, torch {torch.__version__}")
    for k, v in rates.items():
        print(f"  {k:36s} {v:6.1f} GFLOP/s")
    print(f"\n{'experiment':18s} {'TFLOP':>7s} {'step GFLOP/s':>13s} {'floor s':>8s} {'at step rate s':>15s} "
          f"{'recorded s':>11s}")
    for name, (tr, ev, rate) in work.items():
        print(f"{name:18s} {(tr + ev) / 1e12:7.1f} {rate:13.1f} {floor[name]:8.0f} {stepped[name]:15.0f} "
              f"{recorded[name]:11.0f}")
    print(f"{'all':18s} {sum(tr + ev for tr, ev, _ in work.values()) / 1e12:7.1f} {'':13s} "
          f"{sum(floor.values()):8.0f} {sum(stepped.values()):15.0f} {sum(recorded.values()):11.0f}")
    print(f"\nEvery product at {peak:.1f} GFLOP/s (the fastest kernel above): at least {sum(floor.values()):,.0f} s "
          f"in fp32 on one thread of this CPU; with the training steps at the rate they reach: "
          f"{sum(stepped.values()):,.0f} s.")
    if args.json:
        print(json.dumps({**cpu, "torch": torch.__version__, "threads": 1, "kernel_gflops": rates,
                          "step_gflops": {k: w[2] for k, w in work.items() if w[2]},
                          "tflop": {k: (w[0] + w[1]) / 1e12 for k, w in work.items()},
                          "floor_s": sum(floor.values()), "at_step_rate_s": sum(stepped.values()),
                          "recorded_s": recorded, "date": time.strftime("%Y-%m-%d")}))


if __name__ == "__main__":
    main()
