"""Constraints on experiment parameters, declared next to their defaults:

    t: Annotated[list[int], NON_EMPTY, each(T_1000)] = field(default_factory=lambda: [250, 500, 750])

``generator/engine/params.py`` checks every front-matter override against them at plan time and
reports a violation with the override's file and line. This module imports nothing from the
build engine, so an experiment that uses it keys on these few lines (and the schedule) only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .diffusion.schedule import strided_timesteps


@dataclass(frozen=True)
class Check:
    """A constraint declared next to a parameter's default, ``Annotated[int, between(0, 999)]``,
    and checked at plan time with the override's file and line."""

    test: Callable[[Any], bool]
    text: str  # what a valid value is: "between 0 and 999"


def between(lo: float, hi: float) -> Check:
    return Check(lambda v: lo <= v <= hi and not (isinstance(v, float) and math.isnan(v)), f"between {lo} and {hi}")


def at_least(lo: float) -> Check:
    return Check(lambda v: v >= lo and math.isfinite(v), f"at least {lo} and finite")


FINITE = Check(lambda v: math.isfinite(v), "a finite number")
NON_EMPTY = Check(lambda v: len(v) > 0, "a non-empty list")


def each(check: Check) -> Check:
    return Check(lambda v: all(check.test(x) for x in v), f"a list whose items are each {check.text}")


# a training keeps the weights of two epochs (early, final) for the results figures
TWO_EPOCHS = Check(lambda v: len(v) == 2 and 1 <= v[0] <= v[1], "two epochs in order, the first at least 1")



def kept_within(keep_epochs: tuple[int, ...], epochs: int) -> list[str]:
    """A training's kept epochs must exist: the problem, if any, for ``Params.problems()``."""
    return [f"keep_epochs {tuple(keep_epochs)} goes past epochs = {epochs}"] if keep_epochs[-1] > epochs else []


# i_start indexes the strided schedule (990, 960, ..., 0: the same length on every backend); its last
# index would leave nothing to denoise
I_START = between(0, len(strided_timesteps(1000)) - 2)
T_1000 = between(0, 999)  # a timestep in DeepFloyd's 1000-step units (scaled to the backend's T)
