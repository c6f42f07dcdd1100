"""Section 8: SDEdit on a web-style image and two hand-drawn images."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from ..constraints import NON_EMPTY, each
from ._parta import IMAGE, SDEditParams, sdedit_figures

SECTION = 8
USES_BACKEND = True
ARTIFACTS = {"grid": "image", "compare": "comparison", "trajectory": "trajectory", "readings": "table"}


@dataclass
class Params(SDEditParams):
    images: Annotated[list[str], NON_EMPTY, each(IMAGE)] = field(default_factory=lambda: ["web", "drawn1", "drawn2"])


def run(p: Params, ctx) -> dict:
    return sdedit_figures(p, ctx)
