"""The course's class-conditioned model (section 14) as a Part A backend, built from its training entry.

A module of its own so that what needs only the course's model (``ddpm_results``, Part A when it
draws with it) does not depend on the improved UNet's code, and kept out of
``scratch_backend.py``, which the training itself imports (a change there would retrain it).
"""
from __future__ import annotations

import torch

from ..train import load_snapshot
from .scratch_backend import ScratchBackend


def course_backend(entry, device: torch.device, epoch: int | None = None) -> ScratchBackend:
    """The model of a ``train_class_ddpm`` entry after a kept epoch (default: the last kept one)."""
    p = entry.params()   # the training's Params (experiments/_ddpm_train.DDPMParams)
    weights = load_snapshot(entry.tensors("weights"), max(p.keep_epochs) if epoch is None else epoch)
    return ScratchBackend(weights, p.D, p.T, p.beta_start, p.beta_end, device)
