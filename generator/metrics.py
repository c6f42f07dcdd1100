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


def kernel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """KID (Bińkowski et al. 2018): the unbiased estimate of the squared MMD between a (N, F) and b (M, F)
    under the polynomial kernel k(x, y) = (x·y / F + 1)^3. Unlike the Fréchet distance, its expectation
    does not depend on N, so small sample sets can be compared with large ones; it can be slightly
    negative when the two sets come from the same distribution."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n, m, f = len(a), len(b), a.shape[1]
    k_aa = (a @ a.T / f + 1) ** 3
    k_bb = (b @ b.T / f + 1) ** 3
    k_ab = (a @ b.T / f + 1) ** 3
    return float((k_aa.sum() - np.trace(k_aa)) / (n * (n - 1)) + (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
                 - 2 * k_ab.mean())



def kernel_distance_leave_one_out(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``kernel_distance(a without row i, b)`` for every i, (N,), from one kernel matrix."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n, m, f = len(a), len(b), a.shape[1]
    k_aa = (a @ a.T / f + 1) ** 3
    np.fill_diagonal(k_aa, 0.0)
    k_bb = (b @ b.T / f + 1) ** 3
    k_ab = (a @ b.T / f + 1) ** 3
    aa = (k_aa.sum() - 2 * k_aa.sum(1)) / ((n - 1) * (n - 2))
    ab = (k_ab.sum() - k_ab.sum(1)) / ((n - 1) * m)
    return aa + (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1)) - 2 * ab


def frechet_distance_leave_one_out(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``frechet_distance(a without row i, b)`` for every i, (N,)."""
    a = np.asarray(a, np.float64)
    return np.array([frechet_distance(np.delete(a, i, 0), b) for i in range(len(a))])


def jackknife_half_width(leave_one_out: np.ndarray, z: float = 1.96) -> float:
    """Half the width of the normal 95% interval from the jackknife standard error,
    sqrt((N-1)/N * sum_i (theta_i - mean)^2). Unlike a bootstrap, no resample repeats a sample,
    which would shrink the set and bias the Fréchet distance upwards (it depends on N)."""
    n = len(leave_one_out)
    return float(z * np.sqrt((n - 1) / n * ((leave_one_out - leave_one_out.mean()) ** 2).sum()))
