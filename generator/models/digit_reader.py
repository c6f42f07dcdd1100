"""The project's MNIST classifier as a reader of a Part A backend's images (how Part A's illusions and
edits are measured on the scratch page)."""
from __future__ import annotations

import torch

from .classifier import DigitClassifier
from .scratch_backend import prompt_digit


class DigitReader:
    """(B, 1, 28, 28) model-space images -> (B, 10) probabilities, through ``to_image``."""

    def __init__(self, classifier: DigitClassifier, to_image):
        self.classifier, self.to_image = classifier, to_image

    @classmethod
    def from_result(cls, result, backend) -> "DigitReader":
        """The reader for ``backend``'s images, from an ``mnist_classifier`` result."""
        model = DigitClassifier()
        model.load_state_dict(result.tensors("weights"))
        return cls(model.to(backend.device).eval(), backend.to_image)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.to_image(x)).softmax(dim=1)

    @staticmethod
    def digit(prompt: str) -> int | None:
        """The digit a prompt asks for (None: the null class), by the scratch backend's rules."""
        return prompt_digit(prompt)
