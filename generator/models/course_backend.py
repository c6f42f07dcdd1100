"""The course's class-conditioned model (section 14) as a Part A backend, built from its weights and
the config stored with them (``models/unet.CourseConfig``).

A module of its own so that what needs only the course's model (``ddpm_results``, Part A when it
draws with it) does not depend on the improved UNet's code, and kept out of
``scratch_backend.py``, which the training itself imports (a change there would retrain it).
"""
from __future__ import annotations

import torch

from ..train import load_snapshot
from .inference import for_sampling
from .scratch_backend import ScratchBackend
from .unet import CourseConfig


def course_model(result, epoch: int, device: torch.device) -> torch.nn.Module:
    """The network of a course training's result after a kept epoch, ready for sampling (eval mode,
    BatchNorm folded, channels-last: ``models/inference.py``)."""
    config = CourseConfig.from_json(result.config("weights"))
    model = config.build()
    model.load_state_dict(load_snapshot(result.tensors("weights"), epoch))
    return for_sampling(model).to(device)


def course_backend(result, device: torch.device, epoch: int | None = None) -> ScratchBackend:
    """The model of a ``train_class_ddpm`` result after a kept epoch (default: the last kept one)."""
    c = CourseConfig.from_json(result.config("weights"))
    weights = load_snapshot(result.tensors("weights"), max(c.kept_epochs) if epoch is None else epoch)
    return ScratchBackend(weights, c.D, c.T, c.beta_start, c.beta_end, device)
