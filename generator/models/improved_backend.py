"""Part A on a section-15 model: the improved UNet as an eps-model, trained as a DDPM or as a flow.

Both run on the cosine schedule with T = 1000 (DeepFloyd's), so Part A's timesteps
[990, 960, ..., 0] apply unscaled. Model space is [-1, 1] grey 28 x 28. A flow model
answers a DDPM query exactly through ``diffusion/flow_sampling.ddpm_prediction``: the
DDPM state is rescaled onto the flow's line, and its velocity v gives eps and x0_hat.
Prompts map to digits as on the course's model (``scratch_backend.prompt_digit``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..diffusion.ddpm import time_input
from ..diffusion.flow_sampling import ddpm_prediction
from ..diffusion.sampling import Prediction
from ..diffusion.schedule import alphas_cumprod, cosine_betas
from ..train import load_snapshot
from .classifier import DigitClassifier
from .course_backend import course_backend
from .improved_unet import ImprovedUNet
from .inference import for_sampling
from .scratch_backend import ScratchBackend, prompt_digit

KINDS = {"train_improved_ddpm": "ddpm", "train_flow": "flow"}
LABELS = {"ddpm": "the improved UNet trained as a DDPM in section 15",
          "flow": "the improved UNet trained with flow matching in section 15"}


# Sampling uses the raw weights of the last step: on the page's EMA table (and with Part A's sampler)
# they beat the EMA's average (decay 0.995) in Fréchet distance at equal recognition, so the EMA is
# trained, stored and measured, but not used.
USE_EMA = False


def load_improved(entry, p, device: torch.device, ema: bool = USE_EMA) -> torch.nn.Module:
    """The network of a section-15 training entry with its parameters ``p = entry.params()``
    (``experiments/_improved_train.ImprovedParams``), for sampling: its raw weights, or the EMA's."""
    sd = load_snapshot(entry.tensors("weights"), p.epochs)
    prefix = "ema." if ema else "net."
    model = ImprovedUNet(p.widths, attention=p.attention)
    model.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    return for_sampling(model).to(device)


def candidate(name: str, upstream: dict, device: torch.device):
    """The Part A backend made from training entry ``name`` (a section-14 or section-15 model)."""
    if name == "train_class_ddpm":
        return course_backend(upstream[name], device)
    return improved(upstream[name], KINDS[name], device)


def improved(entry, kind: str, device: torch.device, ema: bool = USE_EMA) -> "ImprovedBackend":
    """A section-15 training entry as a backend (a DDPM on its own T, a flow on T = 1000)."""
    p = entry.params()
    T = p.T if kind == "ddpm" else 1000   # a flow model has no schedule of its own
    return ImprovedBackend(load_improved(entry, p, device, ema), kind, device, T)


class DigitReader:
    """The project's MNIST classifier on model-space images: (B, 1, 28, 28) in [-1, 1] ->
    (B, 10) probabilities. How Part A's illusions are measured on the scratch page."""

    def __init__(self, classifier: DigitClassifier, to_image):
        self.classifier, self.to_image = classifier, to_image

    @classmethod
    def from_entry(cls, entry, backend) -> "DigitReader":
        """The reader for ``backend``'s images, from an ``mnist_classifier`` cache entry."""
        model = DigitClassifier()
        model.load_state_dict(entry.tensors("weights"))
        return cls(model.to(backend.device).eval(), backend.to_image)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.to_image(x)).softmax(dim=1)

    @staticmethod
    def digit(prompt: str) -> int | None:
        """The digit a prompt asks for (None: the null class), by the scratch backend's rules."""
        return prompt_digit(prompt)


class ImprovedBackend:
    """Implements ``models.backend.Backend`` for a section-15 model (``kind`` 'ddpm' or 'flow')."""

    name = "scratch"
    has_upsampler = False
    image_shape = (1, 28, 28)
    images = ScratchBackend.images
    image_labels = ScratchBackend.image_labels

    reader = None   # a DigitReader, set by models/select.py for Part A

    def __init__(self, model: torch.nn.Module, kind: str, device: torch.device, T: int = 1000):
        """``T``: the DDPM model's schedule length; a flow model answers on any cosine table
        (1000 steps: Part A's timesteps unscaled)."""
        if kind not in LABELS:
            raise ValueError(f"unknown model kind '{kind}'; use one of {sorted(LABELS)}")
        self.model, self.kind, self.device = model, kind, device
        self.model_label = LABELS[kind]
        self.T = T
        self.abar = alphas_cumprod(cosine_betas(T))

    describe = ScratchBackend.describe
    embed = ScratchBackend.embed

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 1, 28, 28) at 0-indexed step t of the cosine schedule; cond (B, 10)."""
        if self.kind == "ddpm":
            return Prediction(self.model(x, time_input(torch.full((x.shape[0],), t, device=x.device), self.T), cond))

        def velocity(x_s: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
            return self.model(x_s, s.reshape(1, 1).expand(x_s.shape[0], 1).to(x_s), cond)

        eps, _ = ddpm_prediction(velocity, x, self.abar[t].to(x.device))
        return Prediction(eps)

    def clamp_x0(self, x0: torch.Tensor) -> torch.Tensor:
        return x0.clamp(-1, 1)

    def from_image(self, img: torch.Tensor) -> torch.Tensor:
        """(C, H, W) in [0, 1] -> grey 28 x 28 in [-1, 1]."""
        if img.shape[0] == 3:
            img = img.mean(0, keepdim=True)
        return (2 * F.interpolate(img[None], size=(28, 28), mode="area")[0] - 1).to(self.device)

    def to_image(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) / 2).clamp(0, 1)

    def upsample(self, x: torch.Tensor, prompt: str, generator: torch.Generator) -> None:
        return None

