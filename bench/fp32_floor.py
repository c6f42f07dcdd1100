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
from generator.diffusion.schedule import alphas_cumprod, linear_betas  # noqa: E402
from generator.experiments._ddpm_train import LOOK_SAMPLES  # noqa: E402
from generator.models.classifier import DigitClassifier  # noqa: E402
from generator.models.inference import for_sampling  # noqa: E402
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet, UnconditionalUNet  # noqa: E402

CACHE = Path(__file__).resolve().parents[1] / "cache"
DENOISER_LOOK = 10     # test digits the single-step denoiser denoises after every epoch (one of each)
SAMPLE_BATCH = 100     # images per evaluation when the rate of sampling is measured (section 14 samples 100 at a time)


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


def eval_rate(model, batch: int, reps: int, *extra) -> float:
    """GFLOP/s of a network evaluation as sampling runs it (the BatchNorm-folded channels-last copy,
    inference mode) on ``batch`` images, ``extra`` the per-image conditioning (1, ...), fastest of ``reps``."""
    net = for_sampling(model)
    args = (torch.rand(batch, 1, 28, 28),) + tuple(e.expand(batch, *e.shape[1:]) for e in extra)

    @torch.inference_mode()
    def call():
        net(*args)
    return best_rate(call, eval_flops(model, *extra) * batch, reps) / 1e9


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


Part = tuple[float, float]          # (floating-point operations, GFLOP/s that this work reaches here)
Work = dict[str, list[Part]]        # experiment -> its training steps and its network evaluations


def part_b_work(reps: int) -> Work:
    """Floating-point operations of each experiment of the course's Part B at its committed parameters,
    in parts (training steps; network evaluations of each model), each with the rate it runs at here:
    training steps at the course's batch, evaluations at SAMPLE_BATCH images (CFG: twice that)."""
    abar = alphas_cumprod(linear_betas(300, 1e-4, 0.02))
    g = torch.Generator().manual_seed(0)
    t1, null = torch.ones(1, 1), torch.zeros(1, 10)
    work: Work = {}

    p = entry("mnist_classifier")[0]["ingredients"]["params"]
    judge = DigitClassifier()
    ce = lambda net, x, y: F.cross_entropy(net(x), y)  # noqa: E731
    work["mnist_classifier"] = [(p["epochs"] * _train_images("train_time_ddpm") * train_flops(judge, p["batch_size"], ce),
                                 step_rate(judge, p["batch_size"], ce, reps))]

    p = entry("train_denoiser")[0]["ingredients"]["params"]
    net = UnconditionalUNet(p["D"])
    mse = lambda n, x, y: F.mse_loss(n(x), x)  # noqa: E731
    n_test = json.loads((entry("mnist_classifier")[1] / "accuracy.json").read_text())["test_images"]
    evals = p["epochs"] * DENOISER_LOOK + len(p["keep_epochs"]) * len(p["test_sigmas"]) * n_test
    work["train_denoiser"] = [
        (p["epochs"] * _train_images("train_denoiser") * train_flops(net, p["batch_size"], mse),
         step_rate(net, p["batch_size"], mse, reps)),
        (evals * eval_flops(net.eval()), eval_rate(net, SAMPLE_BATCH, reps))]

    rates: dict[str, float] = {}
    for name, network, cfg in (("train_time_ddpm", TimeConditionalUNet, 1), ("train_class_ddpm", ClassConditionalUNet, 2)):
        p = entry(name)[0]["ingredients"]["params"]
        model = network(p["D"])
        looks = sorted({e for e in p["look_epochs"] if e < p["epochs"]} | {p["epochs"]})

        def loss(n, x, y, cls=(cfg == 2)):
            return eps_loss(n, x, abar, g, drop_labels(F.one_hot(y, 10).float(), 0.1, g) if cls else None)

        extra = (t1, null) if cfg == 2 else (t1,)
        train_ops = p["epochs"] * _train_images(name) * train_flops(model, p["batch_size"], loss)
        train_rate = step_rate(model, p["batch_size"], loss, reps)
        rates[name] = eval_rate(model.eval(), cfg * SAMPLE_BATCH, reps, *extra)
        work[name] = [(train_ops, train_rate),
                      (len(looks) * LOOK_SAMPLES * p["T"] * cfg * eval_flops(model, *extra), rates[name])]

    p = entry("ddpm_results")[0]["ingredients"]["params"]
    tp = entry("train_time_ddpm")[0]["ingredients"]["params"]
    steps = len(tp["keep_epochs"]) * tp["T"]
    work["ddpm_results"] = [
        (steps * max(10 * p["eval_per_digit"], p["time_show"]) * eval_flops(TimeConditionalUNet(tp["D"]).eval(), t1),
         rates["train_time_ddpm"]),
        (steps * 10 * p["eval_per_digit"] * 2 * eval_flops(ClassConditionalUNet(tp["D"]).eval(), t1, null),
         rates["train_class_ddpm"])]
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
    kernels = peak_rate(args.reps)
    peak = max(kernels.values())
    work = part_b_work(args.reps)
    recorded = {name: entry(name)[0]["provenance"]["seconds"] for name in work}
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
