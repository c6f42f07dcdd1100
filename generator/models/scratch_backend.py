"""The scratch backend: Part B's class-conditioned MNIST UNet behind the Part A interface.

It works on (1, 28, 28) images in [0, 1] (the range it was trained on), with
T = 300 linear betas and the fixed step variance sqrt(beta).

How a prompt becomes a condition (the model knows ten words, the digits):

1. a prompt that names a digit, as a numeral or a word ("a handwritten 7",
   "seven"), conditions on that class;
2. "" and "a high quality photo" are the null class (the all-zero vector), the
   unconditional model of CFG;
3. each other prompt of the report has a stand-in digit chosen for its shape,
   listed in ``STAND_INS`` (a rocket ship is a tall 1, a skull a round 0, the old
   man a 6 and the campfire a 9, so the anagram pair is the 6/9 pair);
4. any other prompt is an error that lists these rules.
"""
from __future__ import annotations

import re
from typing import Any

import torch
import torch.nn.functional as F

from ..diffusion.ddpm import time_input
from ..diffusion.sampling import Prediction
from ..diffusion.schedule import alphas_cumprod, linear_betas
from .inference import for_sampling
from .unet import ClassConditionalUNet

NULL_PROMPTS = {"", "a high quality photo"}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
STAND_INS = {
    "an oil painting of a snowy mountain village": 4,
    "a man wearing a hat": 7,
    "a rocket ship": 1,
    "an oil painting of an old man": 6,
    "an oil painting of people around a campfire": 9,
    "a lithograph of a skull": 0,
    "a lithograph of waterfalls": 1,
}


def prompt_digit(prompt: str) -> int | None:
    """The digit a prompt conditions on, None for the null class (rules in the module doc)."""
    p = prompt.strip().lower()
    if p in NULL_PROMPTS:
        return None
    if p in STAND_INS:
        return STAND_INS[p]
    m = re.search(r"\b([0-9])\b", p) or re.search(r"\b(" + "|".join(WORDS) + r")\b", p)
    if m:
        word = m.group(1)
        return int(word) if word.isdigit() else WORDS.index(word)
    raise ValueError(f"the scratch backend cannot condition on prompt {prompt!r}: name a digit "
                     f"('a handwritten 7'), use '' for the null class, or one of {sorted(STAND_INS)}")


class DigitBackend:
    """What every MNIST model behind the Part A interface shares: grey 28 x 28 images, prompts read as
    digits (one-hot conditions, zeros for the null class), the report's images as digits, and no
    super-resolution stage. Subclasses give the model: ``predict``, the schedule, the model space."""

    name = "scratch"
    has_upsampler = False
    image_shape = (1, 28, 28)
    # image roles of the report, as digits (see generator/data/images.py)
    images = {"test": "mnist:7:1", "own1": "digit:2", "own2": "digit:5", "web": "font:4",
              "drawn1": "scribble:3", "drawn2": "scribble:8"}
    image_labels = {"test": "test image (a 7 from MNIST)", "own1": "own image 1 (a drawn 2)",
                    "own2": "own image 2 (a drawn 5)", "web": "web-style image (a typeset 4)",
                    "drawn1": "drawing 1 (a scribbled 3)", "drawn2": "drawing 2 (a scribbled 8)"}
    device: torch.device
    reader: Any = None   # a digit reader (models/digit_reader.py), set by models/select.py for Part A

    def describe(self, prompt: str) -> str:
        d = prompt_digit(prompt)
        return "null class" if d is None else f"digit {d}"

    def embed(self, prompt: str) -> torch.Tensor:
        """(1, 10): one-hot digit, or zeros for the null class."""
        d = prompt_digit(prompt)
        if d is None:
            return torch.zeros(1, 10, device=self.device)
        return F.one_hot(torch.tensor([d]), 10).float().to(self.device)

    def upsample(self, x: torch.Tensor, prompt: str, generator: torch.Generator) -> None:
        return None  # no super-resolution stage: the page shows the 28 px result enlarged


class ScratchBackend(DigitBackend):
    """Part A on the section 14 model (implements ``models.backend.Backend``): [0, 1] model space,
    T = 300 linear betas."""

    model_label = "the class-conditioned MNIST UNet trained in section 14"

    def __init__(self, state_dict: dict, D: int, T: int, beta_start: float, beta_end: float,
                 device: torch.device):
        model = ClassConditionalUNet(D)
        model.load_state_dict(state_dict)
        self.model = for_sampling(model).to(device)
        self.device = device
        self.T = T
        self.abar = alphas_cumprod(linear_betas(T, beta_start, beta_end))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, 1, 28, 28) at 0-indexed step t; cond (B, 10)."""
        tt = time_input(torch.full((x.shape[0],), t, device=x.device), self.T)
        return Prediction(self.model(x, tt, cond))

    def clamp_x0(self, x0: torch.Tensor) -> torch.Tensor:
        return x0  # the course's scratch sampler uses x0_hat unclipped

    def from_image(self, img: torch.Tensor) -> torch.Tensor:
        """(C, H, W) in [0, 1] -> model space: grey 28 x 28 in [0, 1]."""
        if img.shape[0] == 3:
            img = img.mean(0, keepdim=True)
        return F.interpolate(img[None], size=(28, 28), mode="area")[0].to(self.device)

    def to_image(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(0, 1)
