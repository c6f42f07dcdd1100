"""Resources: what an experiment receives besides its parameters and upstream results, such as a
dataset split. The science registers them (``PACKAGE``'s ``RESOURCES`` list); the engine knows
only the protocol below, so a new dataset is added without touching the engine
(docs/architecture.md, "How to add a resource").

An experiment module declares ``USES_<NAME> = True`` for each resource it reads, and reads it as
``ctx.<name>`` (``generator/context.py``). For every such experiment the engine

* puts the resource's identity into the key, as the input ``<name>`` (a change of data is a new key);
* hashes the resource's ``key_modules`` with the experiment's code (how the data is read);
* asks a cluster for a GPU where ``runs_network`` and the build runs on one.

A resource also owns its command-line options, how it is chosen (``auto`` resolves to the choice
that the cached results record, so a build renders what is committed unless told otherwise), the
files whose appearance changes that choice (for the no-op build), and its errors, which it raises
as ``BuildError`` naming the option or place at fault.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Any, Callable, Optional, Protocol

PACKAGE = "generator.resources"   # where the science registers its resources (its RESOURCES list)


class Resource(Protocol):
    name: str                     # ctx.<name>, USES_<NAME>, and the key's input of that name
    key_slot: Optional[str]       # None: the identity is the input <name>; else a top-level ingredient of
                                  # that name in every key (None where unused), as the Part A model's is
    key_modules: tuple[str, ...]  # modules that build it, hashed into the key of every experiment using it
    runs_network: bool            # an experiment that uses it trains or evaluates a network (a GPU task)
    option_names: tuple[str, ...]  # its argparse destinations, recorded by the no-op build's stamp
    mismatch_fix: str             # what to do when a cluster node sees another identity than the driver
    front_matter_key: Optional[str]   # the page's front matter may declare its choice under this key

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Its command-line options."""

    def check_options(self, args: argparse.Namespace) -> None:
        """What can be checked of its options without work (BuildError naming the option)."""

    def configure(self, args: argparse.Namespace, recorded: dict[str, str], frozen: bool,
                  declared: Optional[str] = None) -> "Resource":
        """A copy chosen by ``args``; ``recorded``: {group: identity} of the newest cached results that
        used it (``group_of``), ``frozen`` forbids the network, ``declared``: the page's choice."""

    @property
    def groups(self) -> tuple[str, ...]:
        """The kinds of choice whose cached results are told apart (``group_of``)."""

    def group_of(self, identity: str) -> str:
        """Which group an identity belongs to."""

    def identity(self) -> str:
        """What enters the key of every experiment that uses it (resolves the choice once)."""

    def value(self) -> Any:
        """What an experiment reads as ``ctx.<name>`` (built once per process)."""

    def chosen(self) -> Optional[str]:
        """One line saying what was chosen and why, once it has been (None before)."""

    def pinned(self) -> "Resource":
        """A copy that makes the same choice on another machine (a Ray worker), without what it built."""

    def watched_places(self, args: argparse.Namespace) -> list:
        """Paths whose appearance or change may change the choice (no contents hashed)."""

    def upstream(self) -> tuple[str, ...]:
        """Experiments it is built from: upstream of every experiment that uses it."""

    def param_defaults(self, experiment: str) -> dict:
        """Parameter values it gives an experiment that uses it, beneath the page's overrides."""

    def settle(self, resolved: dict[str, Any], users: list[str], line_of: Callable[[str], Optional[str]]) -> None:
        """Check (BuildError at ``line_of(experiment)``) and complete the resolved parameters."""

    def variant(self) -> Optional[str]:
        """The page variant its choice shows (blocks ``on-<variant>``), or None."""

    def not_needed(self) -> set[str]:
        """Experiments that only build choices not taken: an override of one plans nothing."""

    def cannot_run(self) -> Optional[tuple[str, str]]:
        """(why, where) the choice can compute nothing, e.g. read from cached results only."""

    def memory_gib(self) -> float:
        """Host memory a cluster task that uses it needs at least."""

    def provenance(self) -> dict:
        """What a result that used it records besides its key (e.g. a compute dtype)."""

    def page_facts(self) -> dict:
        """What the page's build line says of the choice."""


def registered() -> dict[str, Resource]:
    """{name: resource} of the science's resources (``PACKAGE``), unconfigured."""
    module = importlib.import_module(PACKAGE)
    return {r.name: r for r in module.RESOURCES}


def task_memory() -> dict[str, float]:
    """{experiment: GiB} that the science gives for a cluster task, where far from 1 GiB."""
    return dict(getattr(importlib.import_module(PACKAGE), "TASK_MEMORY_GIB", {}))


def identity_in(ingredients: dict, r: Resource) -> Optional[str]:
    """The identity of ``r`` that a result's ingredients record (None where it did not use it)."""
    return ingredients.get(r.key_slot) if r.key_slot else ingredients.get("inputs", {}).get(r.name)


def made_with(r: Resource, group: str) -> Callable[[dict], bool]:
    """A manifest filter: results computed with a choice of ``group`` (``Store.previous``'s accept)."""
    def accept(m: dict) -> bool:
        identity = identity_in(m["ingredients"], r)
        return identity is not None and identity != "" and r.group_of(identity) == group
    return accept


def recorded(r: Resource, experiments: dict, store) -> dict[str, str]:
    """{group: identity} of ``r`` in the newest cached result of each group, over every experiment
    that uses it."""
    found: dict[str, str] = {}
    dates: dict[str, str] = {}
    for exp_name, exp in sorted(experiments.items()):
        if exp.uses(r.name):
            for group in r.groups:
                m = store.previous(exp_name, made_with(r, group))
                if m and m["provenance"]["date"] > dates.get(group, ""):
                    found[group], dates[group] = identity_in(m["ingredients"], r) or "", m["provenance"]["date"]
    return found


def declared(pages) -> dict[str, Optional[str]]:
    """{name: the choice the pages' front matter declares} for each resource that the page may
    declare (``front_matter_key``; None where no page does)."""
    from .content import declared as declared_in

    return {name: declared_in(pages, r.front_matter_key) if r.front_matter_key else None
            for name, r in registered().items()}


def configure(args: argparse.Namespace, experiments: dict, store, frozen: bool,
              declared: Optional[dict[str, Optional[str]]] = None,
              recorded_extra: Optional[dict[str, dict[str, str]]] = None) -> dict[str, Resource]:
    """Every registered resource, chosen by ``args``, what the cache records (and ``recorded_extra``:
    {name: {group: identity}}, e.g. of results being imported) and what the page declares."""
    declared, extra = declared or {}, recorded_extra or {}
    return {name: r.configure(args, {**recorded(r, experiments, store), **extra.get(name, {})}, frozen,
                              declared.get(name))
            for name, r in registered().items()}


def variant_of(resources: dict[str, Resource]) -> Optional[str]:
    """The page variant this build shows (the first resource that selects one)."""
    return next((v for r in resources.values() if (v := r.variant()) is not None), None)


def defaults(argv: Optional[list[str]] = None, frozen: bool = False) -> dict[str, Resource]:
    """Every registered resource with its options from ``argv`` (default: none), as if nothing were
    cached (tests, tools)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    for r in registered().values():
        r.add_options(parser)
    args = parser.parse_args(argv or [])
    return {name: r.configure(args, {}, frozen) for name, r in registered().items()}
