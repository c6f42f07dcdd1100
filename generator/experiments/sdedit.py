"""Section 7: image-to-image translation (SDEdit) of the test image and two of the project's own."""
from __future__ import annotations

from dataclasses import dataclass, field

from ._parta import sdedit_figures

SECTION = 7
USES_BACKEND = True
ARTIFACTS = {"grid": "image", "compare": "comparison", "trajectory": "trajectory"}


@dataclass
class Params:
    images: list[str] = field(default_factory=lambda: ["test", "own1", "own2"])  # roles or image specs
    i_starts: list[int] = field(default_factory=lambda: [1, 3, 5, 7, 10, 20])
    compare_i_start: int = 10
    prompt: str = "a high quality photo"
    gamma: float = 7.0

    def input_files(self) -> list[str]:
        return [s[5:] for s in self.images if s.startswith("file:")]


def run(p: Params, ctx) -> dict:
    return sdedit_figures(p, ctx)
