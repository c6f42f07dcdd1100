"""Constraints on experiment parameters, declared next to their defaults:

    t: Annotated[list[int], NON_EMPTY, each(T_1000)] = field(default_factory=lambda: [250, 500, 750])

``generator/params.py`` checks every front-matter override against them at plan time and
reports a violation with the override's file and line. This module imports nothing from the
build engine, so an experiment that uses it keys on these few lines (and the schedule) only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .diffusion.schedule import strided_timesteps


@dataclass(frozen=True)
class Check:
    """A constraint declared next to a parameter's default, ``Annotated[int, between(0, 999)]``,
    and checked at plan time with the override's file and line."""

    test: Callable[[Any], bool]
    text: str  # what a valid value is: "between 0 and 999"
    # what is wrong with a value that fails, where a rule can say more than ``text`` (an image spec)
    reason: Optional[Callable[[Any], Optional[str]]] = None


def between(lo: float, hi: float) -> Check:
    return Check(lambda v: lo <= v <= hi and not (isinstance(v, float) and math.isnan(v)), f"between {lo} and {hi}")


def at_least(lo: float) -> Check:
    return Check(lambda v: v >= lo and math.isfinite(v), f"at least {lo} and finite")


FINITE = Check(lambda v: math.isfinite(v), "a finite number")
NON_EMPTY = Check(lambda v: len(v) > 0, "a non-empty list")
TRUE_OR_FALSE = Check(lambda v: isinstance(v, bool), "true or false")
# a prompt: any text a tokenizer takes in one call (T5's 77 tokens are well under 500 characters)
TEXT = Check(lambda v: len(v) <= 500, "a text of at most 500 characters")
# a file the build reads: a relative path inside the repository, or "" for none
RELATIVE_PATH = Check(lambda v: not v.startswith(("/", "\\")) and ".." not in v.replace("\\", "/").split("/"),
                      "a path relative to the repository, without '..'")

# training and measuring: bounds that keep a value meaningful (a NaN fails every one of them)
EPOCHS = between(1, 1000)
BATCH = between(1, 4096)
LEARNING_RATE = between(1e-8, 1.0)
PROBABILITY = between(0.0, 1.0)
WIDTH = between(1, 512)           # channels of a UNet level
NOISE_LEVEL = between(0.0, 10.0)  # sigma of z = x + sigma eps, for digits in [0, 1]
STEPS_T = between(2, 10000)       # timesteps of a training schedule
BETA = between(1e-6, 0.999)       # one step's noise variance
# A guidance scale: 0 is the unconditional model, 1 the conditional one; beyond 100 the extrapolation
# only overflows (1e308 made NaN images before this bound)
GUIDANCE = between(0.0, 100.0)
ROWS_OF_TEN = Check(lambda v: 10 <= v <= 1000 and v % 10 == 0, "a multiple of 10 between 10 and 1000")


def each(check: Check) -> Check:
    return Check(lambda v: all(check.test(x) for x in v), f"a list whose items are each {check.text}")


# a training keeps the weights of two epochs (early, final) for the results figures
TWO_EPOCHS = Check(lambda v: len(v) == 2 and 1 <= v[0] <= v[1], "two epochs in order, the first at least 1")


def kept_within(keep_epochs: tuple[int, ...], epochs: int, name: str = "keep_epochs") -> list[str]:
    """A training's kept (or looked-at) epochs must exist: the problem, if any, for ``Params.problems()``."""
    return [f"{name} {tuple(keep_epochs)} goes past epochs = {epochs}"] if max(keep_epochs) > epochs else []


def increasing(values: tuple[float, ...], name: str) -> list[str]:
    return [] if all(a < b for a, b in zip(values, values[1:])) else [f"{name} {tuple(values)} is not increasing"]


# i_start indexes the strided schedule (990, 960, ..., 0: the same length on every backend); its last
# index would leave nothing to denoise
I_START = between(0, len(strided_timesteps(1000)) - 2)
T_1000 = between(0, 999)  # a timestep in DeepFloyd's 1000-step units (scaled to the backend's T)
