"""How far results may move with the torch thread count, which the cache key leaves out on purpose
(docs/architecture.md, "The cache key"): on one machine at equal thread counts every byte is equal;
across thread counts (and across machines, whose CPUs pick other kernels) the order of floating-point
sums changes, and an encoded trajectory may move by at most one grey level in at most 0.1% of its pixel
values (measured on the real report: 6 of 287,280 across thread counts, at most 77 of 658,920 across
machines)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from generator import media
from generator.diffusion.flow_sampling import sample_ode
from generator.models.improved_unet import ImprovedUNet

from .tolerances import TOLERANCE_GREY_LEVELS, TOLERANCE_SHARE


def encoded_trajectory(threads: int) -> np.ndarray:
    """A 16-step flow trajectory of a randomly initialised improved UNet, as the page's 8-bit frames."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        model = ImprovedUNet((16, 32, 32)).eval()
        torch.nn.init.normal_(model.conv_out.weight, std=0.05)   # zero-initialised: give it an output
        c = F.one_hot(torch.arange(8) % 10, 10).float()
        x = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(1))
        frames = []
        with torch.no_grad():
            sample_ode(lambda x, s: model(x, torch.full((x.shape[0], 1), s), c), x, 16,
                       record=lambda s, xs, x0: frames.append(((xs + 1) / 2).clamp(0, 1)))
        return np.concatenate([np.asarray(media.tile([list(f)])) for f in frames])
    finally:
        torch.set_num_threads(before)


def test_equal_thread_counts_give_equal_bytes():
    assert np.array_equal(encoded_trajectory(1), encoded_trajectory(1))


def test_other_thread_counts_stay_within_the_stated_tolerance():
    a, b = encoded_trajectory(1).astype(int), encoded_trajectory(2).astype(int)
    diff = np.abs(a - b)
    assert diff.max() <= TOLERANCE_GREY_LEVELS, f"{diff.max()} grey levels apart"
    assert (diff > 0).mean() <= TOLERANCE_SHARE, f"{(diff > 0).mean():.2%} of pixel values differ"
