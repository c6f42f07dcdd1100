"""A small MNIST classifier whose penultimate features serve as the FID feature space."""
from __future__ import annotations

import torch
from torch import nn


class DigitClassifier(nn.Module):
    """(B, 1, 28, 28) in [0, 1] -> (B, 10) logits; ``features`` gives the (B, 64) embedding."""

    def __init__(self, width: int = 32, feature_dim: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),              # 14
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # 7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * width * 49, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
