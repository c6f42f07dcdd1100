"""What Part A needs of a model: the ``Backend`` protocol, and the ``BackendChoice`` the build makes.

Every Part A technique (sections 1-12) is written once against ``Backend``; the
experiments, templates and CLI ask it (``has_upsampler``, ``model_label``, ``describe``)
instead of testing which model it is. A new backend is one module implementing it
plus its branch in ``models/select.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

import torch

from ..diffusion.sampling import Prediction


class Backend(Protocol):
    name: str                           # "deepfloyd" | "scratch": selects backend-only notes in the prose
    model_label: str                    # "Made with ..." under every Part A figure
    has_upsampler: bool                 # True if ``upsample`` gives a higher-resolution image
    T: int                              # number of training timesteps
    abar: torch.Tensor                  # (T,) cumulative product of alphas, float32
    image_shape: tuple[int, int, int]   # (C, H, W) of model space
    device: torch.device
    images: dict[str, str]              # report role ('test', 'own1', ...) -> image spec
    image_labels: dict[str, str]        # report role -> words shown to a reader
    # model-space images (B, C, H, W) -> (B, 10) digit probabilities, with ``reader.digit(prompt)``
    # the digit a prompt asks for; None where no classifier can judge the pictures (DeepFloyd)
    reader: Optional[Callable]

    def embed(self, prompt: str) -> torch.Tensor:
        """Prompt -> condition, (1, ...) batched along dim 0."""

    def describe(self, prompt: str) -> Optional[str]:
        """What the model makes of a prompt ('digit 7'), or None when the prompt speaks for itself."""

    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """Noise (and optional learned variance) for x (B, C, H, W) at 0-indexed step t."""

    def clamp_x0(self, x0: torch.Tensor) -> torch.Tensor:
        """The model's rule for keeping x0_hat in range."""

    def from_image(self, img: torch.Tensor) -> torch.Tensor:
        """(C, H, W) in [0, 1] -> (C', H', W') in model space."""

    def to_image(self, x: torch.Tensor) -> torch.Tensor:
        """Model space -> [0, 1] for display."""

    def upsample(self, x: torch.Tensor, prompt: str, generator: torch.Generator) -> Optional[torch.Tensor]:
        """(B, C, H, W) model space -> a larger model-space image, or None without an upsampler."""


@dataclass(frozen=True)
class BackendChoice:
    """The Part A model chosen for a build, before anything is loaded."""

    name: str                     # as Backend.name
    label: str                    # short name for the page's build line
    identity: str                 # enters the cache key of every Part A result (weights, dtype); the code
                                  # enters through generator/engine/keys.py
    upstream: tuple[str, ...]     # experiments the backend is built from
    reason: str                   # why this backend: printed, and shown on the page
    dtype: str                    # the model's compute dtype, also in provenance
    make: Callable                # make(upstream: {name: store.Entry}, device) -> Backend
    check_prompt: Callable        # check_prompt(prompt) raises ValueError if the model cannot use it
    embed_prompts: Optional[Callable] = None  # embed_prompts(list[str]) -> {prompt: tensor}, if it needs T5
    # {experiment: {parameter: value}}: the backend's prompt set (models/prompt_sets.py), applied
    # beneath the front matter's overrides
    defaults: dict = field(default_factory=dict)
    # why this choice cannot compute anything (its identity was read from cached results, and the
    # weights are not on this machine); None where it can. Rendering from the cache works either way.
    cannot_run: Optional[str] = None
    # rough peak host memory of a Part A task on this model (GiB), for a cluster's scheduler: DeepFloyd
    # IF's two stages in fp16 with the T5 encoder offloaded take about 16
    memory_gib: float = 1.0
