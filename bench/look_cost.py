"""What the per-epoch looks of the section-14 trainings cost against the training itself, on this machine.

    python bench/look_cost.py

Times the build's own looks (``_ddpm_train.look_samples``: ten samples, 300 DDPM steps; guidance 5 for
the class model, so two network evaluations per step) and Adam steps of the class UNet at the course's
batch of 128, at one thread, and prints the ratio of nine looks to twenty epochs of 4,000 digits (the
defaults), and of the old looks (20 samples after each of 20 epochs). Not a test: timings depend on
the machine and its load.
"""
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generator.diffusion.ddpm import eps_loss  # noqa: E402
from generator.diffusion.sampling import guided  # noqa: E402
from generator.diffusion.schedule import alphas_cumprod, linear_betas  # noqa: E402
from generator.experiments._ddpm_train import look_samples  # noqa: E402
from generator.experiments._partb import time_eps_fn  # noqa: E402
from generator.models.inference import for_sampling  # noqa: E402
from generator.models.scratch_backend import ScratchBackend  # noqa: E402
from generator.models.unet import ClassConditionalUNet, TimeConditionalUNet  # noqa: E402
from generator.train import MEMORY_FORMAT  # noqa: E402

ABAR = alphas_cumprod(linear_betas(300, 1e-4, 0.02))
CPU = torch.device("cpu")


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    torch.set_num_threads(1)
    backend = ScratchBackend(ClassConditionalUNet(64).state_dict(), 64, 300, 1e-4, 0.02, CPU)
    class_eps = guided(backend, F.one_hot(torch.arange(10), 10).float(), torch.zeros(1, 10), 5.0)
    class_look = seconds(lambda: look_samples(class_eps, ABAR, torch.Generator().manual_seed(1), CPU))
    time_eps = time_eps_fn(for_sampling(TimeConditionalUNet(64)), 300)
    time_look = seconds(lambda: look_samples(time_eps, ABAR, torch.Generator().manual_seed(1), CPU))

    model = ClassConditionalUNet(64).to(memory_format=MEMORY_FORMAT)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.rand(128, 1, 28, 28).contiguous(memory_format=MEMORY_FORMAT)
    c = F.one_hot(torch.arange(128) % 10, 10).float()
    g = torch.Generator().manual_seed(0)

    def step() -> None:
        loss = eps_loss(model, x, ABAR, g, c)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()   # warm-up
    per_step = seconds(lambda: [step() for _ in range(4)]) / 4
    epoch = per_step * 4000 / 128
    print(f"class look {class_look:.1f} s, time look {time_look:.1f} s, class Adam step {per_step:.2f} s, "
          f"class epoch {epoch:.0f} s (one thread)")
    print(f"class training with nine looks: {1 + 9 * class_look / (20 * epoch):.2f}x the training alone; "
          f"with the old looks (20 samples after all 20 epochs): {1 + 20 * 2 * class_look / (20 * epoch):.2f}x")


if __name__ == "__main__":
    main()
