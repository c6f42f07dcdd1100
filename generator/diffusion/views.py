"""Views for visual anagrams (Geng, Park & Owens 2024), one small class each.

A view is an orthogonal pixel transform: ``view`` maps the image to how it is
seen, ``inverse_view`` maps a noise estimate made in that view back to the base
image. New illusions are new classes in ``VIEW_MAP``, not new flags.
"""
from __future__ import annotations

import torch

from .sampling import EpsFn, Prediction


class View:
    name = "identity"

    def view(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def inverse_view(self, x: torch.Tensor) -> torch.Tensor:
        return x


class FlipView(View):
    """Upside down: reverse the rows. Its own inverse."""

    name = "flip"

    def view(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flip(x, dims=[-2])

    inverse_view = view


class Rotate180View(View):
    """Half turn: reverse rows and columns (what turns a 6 into a 9). Its own inverse."""

    name = "rotate_180"

    def view(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flip(x, dims=[-2, -1])

    inverse_view = view


class NegateView(View):
    """Photographic negative, x -> -x in [-1, 1]. Gaussian noise is symmetric, so eps maps the same way."""

    name = "negate"

    def view(self, x: torch.Tensor) -> torch.Tensor:
        return -x

    inverse_view = view


VIEW_MAP: dict[str, type[View]] = {v.name: v for v in (View, FlipView, Rotate180View, NegateView)}


def anagram(eps_fn_1: EpsFn, eps_fn_2: EpsFn, view: View) -> EpsFn:
    """eps = (eps_1(x_t) + inverse_view(eps_2(view(x_t)))) / 2   (docs/course.md; Geng et al. 2024).

    The variance coefficients are averaged the same way.
    """
    def combined(x: torch.Tensor, t: int) -> Prediction:
        a = eps_fn_1(x, t)
        b = eps_fn_2(view.view(x), t)
        var = None if a.var is None or b.var is None else (a.var + view.inverse_view(b.var)) / 2
        return Prediction((a.eps + view.inverse_view(b.eps)) / 2, var)

    return combined
