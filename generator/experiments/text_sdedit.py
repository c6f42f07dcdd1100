"""Section 10: text-conditioned image-to-image translation: SDEdit towards another prompt."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ..constraints import TEXT
from ._parta import SDEditParams, sdedit_figures

SECTION = 10
USES_BACKEND = True
ARTIFACTS = {"grid": "image", "compare": "comparison", "trajectory": "trajectory", "readings": "table"}


@dataclass
class Params(SDEditParams):
    prompt: Annotated[str, TEXT] = "a rocket ship"


def run(p: Params, ctx) -> dict:
    return sdedit_figures(p, ctx)
