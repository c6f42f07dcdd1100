"""The experiments registry: one module per experiment in ``generator/experiments``.

A module declares, at top level (and imports nothing from the build system, so
that its cache key covers only the code that computes results):

* ``Params``: a dataclass of typed parameters with defaults;
* ``UPSTREAM``: names of experiments whose results it consumes;
* ``ARTIFACTS``: ``{name: kind}`` of what ``run`` returns (checked before anything runs);
* ``run(params, ctx) -> dict``: the computation;
* optional ``SECTION`` (the report section) and ``USES_<NAME>`` for each resource it reads
  (``ctx.<name>``, generator/engine/resources.py);
* optional ``consumer_view(ingredients, consumer_params) -> dict``: what a consumer's key takes
  of this result, where a consumer depends on a part of it only (each result of a model on the
  part of an upstream result it reads). Default: the whole result (its key).

A parameter value ``file:PATH`` (alone or in a list) names an input file: its bytes
are part of the cache key and a missing file is an error before anything runs.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from ..errors import BuildError

PACKAGE = "generator.experiments"   # where experiment modules live; the module name is the experiment name
ARTIFACT_KINDS = {"image", "trajectory", "plot", "table", "metrics", "checkpoint", "comparison", "demo"}


@dataclass(frozen=True)
class Experiment:
    name: str
    module: ModuleType

    @property
    def params_cls(self) -> type:
        return self.module.Params

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "UPSTREAM", ()))

    @property
    def artifacts(self) -> dict[str, str]:
        return dict(self.module.ARTIFACTS)

    @property
    def section(self) -> int | None:
        return getattr(self.module, "SECTION", None)

    def uses(self, resource: str) -> bool:
        """Whether it reads the resource of that name (``USES_<NAME> = True``; engine/resources.py)."""
        return bool(getattr(self.module, f"USES_{resource.upper()}", False))

    def key_for(self, key: str, ingredients: dict, consumer_params) -> str:
        """What enters a consumer's key for this upstream result (``consumer_view``)."""
        view = getattr(self.module, "consumer_view", None)
        if view is None:
            return key
        from .keys import key_of

        return key_of(view(ingredients, consumer_params))

    @property
    def source_file(self) -> str:
        return str(self.module.__file__)


def _check(exp: Experiment) -> None:
    m = exp.module
    for attr in ("Params", "ARTIFACTS", "run"):
        if not hasattr(m, attr):
            raise BuildError(f"experiment module lacks '{attr}'", m.__file__)
    if not dataclasses.is_dataclass(m.Params):
        raise BuildError("Params must be a @dataclass", m.__file__)
    bad = {k: v for k, v in m.ARTIFACTS.items() if v not in ARTIFACT_KINDS}
    if bad:
        raise BuildError(f"unknown artifact kinds {bad}; use {sorted(ARTIFACT_KINDS)}", m.__file__)


def discover(package: str = PACKAGE) -> dict[str, Experiment]:
    """Import every experiment module of ``package``; the module name is the experiment name."""
    pkg = importlib.import_module(package)
    found = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        exp = Experiment(info.name, importlib.import_module(f"{package}.{info.name}"))
        _check(exp)
        found[exp.name] = exp
    return found


def closure(names: list[str], upstream_of) -> list[str]:
    """``names`` and everything upstream of them, in dependency order (upstream first).

    ``upstream_of(name)`` lists a node's upstream names. A cycle or an unknown
    upstream raises BuildError naming the path.
    """
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == "done":
            return
        if state.get(n) == "active":
            cycle = path[path.index(n):] + [n]
            raise BuildError(f"cycle in the upstream graph: {' -> '.join(cycle)}. Fix: remove one of "
                             "these UPSTREAM links")
        state[n] = "active"
        for u in upstream_of(n):
            visit(u, path + [n])
        state[n] = "done"
        order.append(n)

    for n in names:
        visit(n, [])
    return order
