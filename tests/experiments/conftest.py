"""Fixtures for the per-experiment tests (one file per experiment here).

``experiment(name, knows=None, **params)`` plans one experiment on the golden cache (tests/conftest.py:
the tiny class-conditioned, improved and flow models and the choice among them, which Part A runs on),
runs it on the CPU in a ``Context`` as a build would, and returns ``(values, params)``: the figures,
tables and weights the experiment returns, before they are written. ``params`` replace the tiny
report's parameters of that experiment (its defaults otherwise).

``knows`` replaces the model by one that knows the answer: an image ((C, H, W) in [0, 1]) for every
prompt, or one image per prompt ({prompt: image}). Its noise prediction is the noise that leads from
x_t to that image, eps = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t). With such a model a correct
sampler returns the image, whatever the noise, and a method that combines predictions (anagrams,
hybrids) returns the same combination of the images: checks of an experiment's maths that need no
trained network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, Union

import pytest
import torch
from filelock import FileLock

from generator.context import Context
from generator.diffusion.sampling import Prediction
from generator.engine import registry, resources
from generator.engine.plan import Environment, Options, plan
from generator.engine.store import Store

from ..tiny_report import TINY_SCRATCH
from .partb_build import build_partb


Knows = Union[torch.Tensor, dict[str, torch.Tensor]]


def knowing_model(backend, knows: Knows) -> Callable:
    """backend.predict for a model whose clean-image estimate is always ``knows`` (one image, or the
    image of the prompt that each row of the batch is conditioned on)."""
    images = knows if isinstance(knows, dict) else {"": knows}
    conds = torch.cat([backend.embed(q) for q in images])                 # (P, ...) one per prompt
    x0s = torch.stack([backend.from_image(im) for im in images.values()])  # (P, C, H, W) model space

    def predict(x: torch.Tensor, t: int, cond: torch.Tensor) -> Prediction:
        """x (B, C, H, W); cond (B, ...): each row's image is that of its prompt."""
        if isinstance(knows, dict):
            match = (cond.flatten(1)[:, None] == conds.flatten(1)[None]).all(-1)   # (B, P)
            assert match.any(1).all(), "a prompt the knowing model was not told about"
            x0 = x0s[match.float().argmax(1)]
        else:
            x0 = x0s[:1]
        a = backend.abar[t].to(x)
        return Prediction((x - a.sqrt() * x0) / (1 - a).sqrt())
    return predict


@pytest.fixture(scope="session")
def experiment_context(golden, tmp_path_factory) -> Callable[..., tuple[Any, Context]]:
    """``(name, device="cpu", **params) -> (node, ctx)``: one experiment planned on the golden cache
    with the scratch model on ``device``, and the ``Context`` it runs in (a fresh Environment, so a
    model built or replaced for one test is never another's)."""
    experiments = registry.discover()

    def context(name: str, device: str = "cpu", **params) -> tuple[Any, Context]:
        env = Environment(Options(device=device), resources.defaults(["--backend", "scratch", "--device", device]))
        nodes = {n.name: n for n in plan(experiments, {**TINY_SCRATCH, name: params}, env,
                                         Store(golden / "cache"), roots=[name])}
        node = nodes[name]
        work = tmp_path_factory.mktemp(name)
        return node, Context(node, {u: nodes[u].entry.result() for u in node.upstream}, env, work)
    return context


@pytest.fixture(scope="session")
def experiment(experiment_context) -> Callable[..., tuple[dict, Any]]:
    def run(name: str, knows: Optional[Knows] = None, **params) -> tuple[dict, Any]:
        node, ctx = experiment_context(name, **params)
        if knows is not None:
            ctx.backend.predict = knowing_model(ctx.backend, knows)      # this Environment's own backend
        return ctx.run(node.exp.module.run, node.params), node.params
    return run


@pytest.fixture(scope="session")
def partb(tmp_path_factory, worker_id) -> Path:
    """The tiny Part B report (partb_build.py), built once per test run: the test workers share one copy
    through a lock (pytest-xdist's recipe for a session fixture that runs once). Tests read it; a test
    that changes it works on a copy."""
    if worker_id == "master":                                  # no workers: this process alone
        proj = tmp_path_factory.mktemp("partb")
        build_partb(proj)
        return proj
    shared = tmp_path_factory.getbasetemp().parent             # this run's folder, common to its workers
    proj = shared / "partb"
    with FileLock(str(shared / "partb.lock")):
        if not (shared / "partb.done").exists():
            build_partb(proj)
            (shared / "partb.done").touch()
    return proj
