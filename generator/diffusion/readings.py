"""Part A's results read by a digit classifier: which anagrams, hybrids and edits work.

``read`` is a digit reader (model-space images (B, C, H, W) -> (B, 10) probabilities,
``models/improved_backend.DigitReader``). Every function returns plain numbers per
candidate, so the experiments can rank candidates by a stated rule and report the
success rate over all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Reader = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class TwoWayReading:
    """For each of B candidates: the probability of the intended digit in each of two looks,
    and whether that digit is the top class in both (the illusion "works")."""

    p_first: torch.Tensor    # (B,)
    p_second: torch.Tensor   # (B,)
    works: torch.Tensor      # (B,) bool

    @property
    def score(self) -> torch.Tensor:
        """min(p_first, p_second): a candidate is only as good as its weaker reading."""
        return torch.minimum(self.p_first, self.p_second)

    def ranking(self) -> list[int]:
        """Candidate indices, best score first (stable: ties keep the drawing order)."""
        return sorted(range(len(self.score)), key=lambda i: -float(self.score[i]))


def two_way(read: Reader, first: torch.Tensor, second: torch.Tensor, d1: int, d2: int) -> TwoWayReading:
    """Read digit d1 in ``first`` and d2 in ``second`` (both (B, C, H, W), the same candidates)."""
    p1, p2 = read(first), read(second)
    return TwoWayReading(p1[:, d1].cpu(), p2[:, d2].cpu(),
                         ((p1.argmax(1) == d1) & (p2.argmax(1) == d2)).cpu())


def from_afar(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """How an image looks from far away: shrunk to ``pixels`` across (area average, as the eye
    integrates), then enlarged back with bilinear interpolation to be shown and read at full size."""
    small = F.interpolate(x, size=(pixels, pixels), mode="area")
    return F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)


def share_read_as(read: Reader, x: torch.Tensor, digit: int) -> float:
    """Fraction of the images x (B, C, H, W) whose top class is ``digit``."""
    return float((read(x).argmax(1) == digit).float().mean())
