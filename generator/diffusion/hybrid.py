"""Frequency split for hybrid images (Oliva, Torralba & Schyns 2006; factorized diffusion)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .sampling import EpsFn, Prediction


def gaussian_kernel_1d(size: int, sigma: float) -> torch.Tensor:
    """(size,) normalised Gaussian taps, as torchvision's gaussian_blur."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).float()


def kernel_size(sigma: float) -> int:
    """The smallest odd Gaussian kernel that holds +-3 sigma (torchvision's rule of thumb)."""
    return 2 * math.ceil(3 * sigma) + 1


def blur_params(image_size: int, size_at_64: int = 33, sigma_at_64: float = 2.0) -> tuple[int, float]:
    """The course's kernel 33 / sigma 2 (docs/course.md) are for 64 px; scale both with the image (odd kernel)."""
    sigma = sigma_at_64 * image_size / 64
    size = max(3, kernel_size(sigma)) if image_size != 64 else size_at_64
    return size, sigma


def lowpass(x: torch.Tensor, size: int, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W) with reflect padding."""
    k = gaussian_kernel_1d(size, sigma).to(x.device, x.dtype)
    c = x.shape[1]
    pad = size // 2
    mode = "reflect" if pad < min(x.shape[-2:]) else "replicate"
    y = F.pad(x, (pad, pad, 0, 0), mode=mode)
    y = F.conv2d(y, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    y = F.pad(y, (0, 0, pad, pad), mode=mode)
    return F.conv2d(y, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def highpass(x: torch.Tensor, size: int, sigma: float) -> torch.Tensor:
    """identity - lowpass, so lowpass + highpass = identity exactly (up to rounding)."""
    return x - lowpass(x, size, sigma)


def hybrid(eps_low: EpsFn, eps_high: EpsFn, size: int, sigma: float) -> EpsFn:
    """eps = lowpass(eps_1(x_t)) + highpass(eps_2(x_t))   (docs/course.md; Geng et al. 2024).

    The variance coefficients are split the same way.
    """
    def combined(x: torch.Tensor, t: int) -> Prediction:
        a, b = eps_low(x, t), eps_high(x, t)
        eps = lowpass(a.eps, size, sigma) + highpass(b.eps, size, sigma)
        var = (None if a.var is None or b.var is None
               else lowpass(a.var, size, sigma) + highpass(b.var, size, sigma))
        return Prediction(eps, var)

    return combined
