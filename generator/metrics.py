"""Sample-quality numbers: Fréchet distance in a feature space, and per-class recognition rates."""
from __future__ import annotations

import numpy as np
import torch
from scipy import linalg


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))  (Heusel et al. 2017, FID).

    a (N, F) and b (M, F) feature rows. Computed in float64; the tiny imaginary
    part that sqrtm can return from rounding is dropped.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(covmean).all():  # singular product: regularise as the FID reference code does
        eps = np.eye(s_a.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s_a + eps) @ (s_b + eps))
    covmean = covmean.real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))


def recognition(pred: torch.Tensor, target: torch.Tensor, n_classes: int = 10) -> list[float]:
    """Fraction of samples of each intended class that the classifier assigns to that class."""
    return [float((pred[target == c] == c).float().mean()) if (target == c).any() else float("nan")
            for c in range(n_classes)]
