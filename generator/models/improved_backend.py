"""Part A on a section-15 model: the improved UNet trained as a DDPM (noise) or with flow matching
(velocity), each a backend of its own over a shared base.

Both run on the cosine schedule with T = 1000 (DeepFloyd's), so Part A's timesteps
[990, 960, ..., 0] apply unscaled. Model space is [-1, 1] grey 28 x 28. A flow model
answers a DDPM query exactly through ``diffusion/flow_sampling.ddpm_prediction``: the
DDPM state is rescaled onto the flow's line, and its velocity v gives eps and x0_hat.
Prompts map to digits as on the course's model (``scratch_backend.DigitBackend``). Which network a
result holds, and how it was trained, is read from the config stored with its weights
(``improved_unet.ImprovedConfig``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..diffusion.ddpm import time_input
from ..diffusion.flow_sampling import ddpm_prediction
from ..diffusion.sampling import Prediction
from ..diffusion.schedule import alphas_cumprod, cosine_betas
from ..train import load_snapshot
from .course_backend import course_backend
from .improved_unet import ImprovedConfig
from .inference import for_sampling
from .scratch_backend import DigitBackend, ScratchBackend

# Sampling uses the raw weights of the last step: on the page's EMA table (and with Part A's sampler)
# they beat the EMA's average (decay 0.995) in Fréchet distance at equal recognition, so the EMA is
# trained, stored and measured, but not used.
USE_EMA = False


def load_improved(result, device: torch.device, ema: bool = USE_EMA) -> tuple[torch.nn.Module, ImprovedConfig]:
    """The network of a section-15 training's result, for sampling (its raw weights, or the EMA's),
    and the config it was built from."""
    config = ImprovedConfig.from_json(result.config("weights"))
    sd = load_snapshot(result.tensors("weights"), config.epoch)
    prefix = "ema." if ema else "net."
    model = config.build()
    model.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    return for_sampling(model).to(device), config


class ImprovedBackend(DigitBackend):
    """What both section-15 backends share (implements ``models.backend.Backend`` with ``predict``
    from a subclass): [-1, 1] model space and a cosine schedule of T steps."""

    model_label = "the improved UNet of section 15"

    def __init__(self, model: torch.nn.Module, device: torch.device, T: int = 1000):
        self.model, self.device, self.T = model, device, T
        self.abar = alphas_cumprod(cosine_betas(T))

    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        raise NotImplementedError

    def clamp_x0(self, x0: torch.Tensor) -> torch.Tensor:
        return x0.clamp(-1, 1)

    def from_image(self, img: torch.Tensor) -> torch.Tensor:
        """(C, H, W) in [0, 1] -> grey 28 x 28 in [-1, 1]."""
        if img.shape[0] == 3:
            img = img.mean(0, keepdim=True)
        return (2 * F.interpolate(img[None], size=(28, 28), mode="area")[0] - 1).to(self.device)

    def to_image(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) / 2).clamp(0, 1)


class ImprovedDDPM(ImprovedBackend):
    """The improved UNet as a noise predictor eps(x_t, t, c), on its own cosine schedule of T steps."""

    model_label = "the improved UNet trained as a DDPM in section 15"

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 1, 28, 28) at 0-indexed step t of the cosine schedule; cond (B, 10)."""
        return Prediction(self.model(x, time_input(torch.full((x.shape[0],), t, device=x.device), self.T), cond))


class FlowBackend(ImprovedBackend):
    """The improved UNet as a velocity v(x_s, s, c) of flow matching. It has no schedule of its own and
    answers on any cosine table: 1,000 steps, Part A's timesteps unscaled."""

    model_label = "the improved UNet trained with flow matching in section 15"

    def velocity(self, cond: torch.Tensor):
        """v(x_s, s) for the conditions ``cond`` (B, 10); s is a scalar tensor in [0, 1]."""
        return lambda x_s, s: self.model(x_s, s.reshape(1, 1).expand(x_s.shape[0], 1).to(x_s), cond)

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 1, 28, 28) as a DDPM state at step t of the 1,000-step cosine schedule; cond (B, 10)."""
        eps, _ = ddpm_prediction(self.velocity(cond), x, self.abar[t].to(x.device))
        return Prediction(eps)


def improved(result, device: torch.device, ema: bool = USE_EMA) -> ImprovedBackend:
    """A section-15 training's result as a backend, as its stored config says it was trained."""
    model, config = load_improved(result, device, ema)
    if config.objective == "flow":
        return FlowBackend(model, device)
    return ImprovedDDPM(model, device, config.T)


def backend_of(result, device: torch.device) -> ScratchBackend | ImprovedBackend:
    """The Part A backend made from a training's result, a section-14 or a section-15 model (told apart
    by the config stored with its weights)."""
    if "objective" in result.config("weights"):
        return improved(result, device)
    return course_backend(result, device)
