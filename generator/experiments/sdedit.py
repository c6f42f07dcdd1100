"""Section 7: image-to-image translation (SDEdit) of the test image and two of the project's own."""
from __future__ import annotations

from dataclasses import dataclass

from ._parta import SDEditParams, sdedit_figures

SECTION = 7
USES_BACKEND = True
ARTIFACTS = {"grid": "image", "compare": "comparison", "trajectory": "trajectory", "readings": "table"}


@dataclass
class Params(SDEditParams):
    pass


def run(p: Params, ctx) -> dict:
    return sdedit_figures(p, ctx)
