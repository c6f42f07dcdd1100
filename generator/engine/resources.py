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
from typing import Any, Optional, Protocol

PACKAGE = "generator.resources"   # where the science registers its resources (its RESOURCES list)


class Resource(Protocol):
    name: str                     # ctx.<name>, USES_<NAME>, and the key's input of that name
    key_modules: tuple[str, ...]  # modules that build it, hashed into the key of every experiment using it
    runs_network: bool            # an experiment that uses it trains or evaluates a network (a GPU task)
    option_names: tuple[str, ...]  # its argparse destinations, recorded by the no-op build's stamp
    mismatch_fix: str             # what to do when a cluster node sees another identity than the driver

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Its command-line options."""

    def check_options(self, args: argparse.Namespace) -> None:
        """What can be checked of its options without work (BuildError naming the option)."""

    def configure(self, args: argparse.Namespace, recorded: Optional[str], frozen: bool) -> "Resource":
        """A copy chosen by ``args``; ``recorded`` is the identity in the newest cached result that used
        it (None without one), ``frozen`` forbids the network."""

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


def registered() -> dict[str, Resource]:
    """{name: resource} of the science's resources (``PACKAGE``), unconfigured."""
    module = importlib.import_module(PACKAGE)
    return {r.name: r for r in module.RESOURCES}


def recorded(name: str, experiments: dict, store) -> Optional[str]:
    """The identity of resource ``name`` in the newest cached result of any experiment that uses it."""
    found, date = None, ""
    for exp_name, exp in sorted(experiments.items()):
        if exp.uses(name):
            m = store.previous(exp_name)
            identity = (m or {}).get("ingredients", {}).get("inputs", {}).get(name)
            if identity and m["provenance"]["date"] > date:
                found, date = identity, m["provenance"]["date"]
    return found


def configure(args: argparse.Namespace, experiments: dict, store, frozen: bool) -> dict[str, Resource]:
    """Every registered resource, chosen by ``args`` and what the cache records."""
    return {name: r.configure(args, recorded(name, experiments, store), frozen) for name, r in registered().items()}


def defaults(frozen: bool = False) -> dict[str, Resource]:
    """Every registered resource with its default options, as if nothing were cached (tests, tools)."""
    parser = argparse.ArgumentParser()
    for r in registered().values():
        r.add_options(parser)
    args = parser.parse_args([])
    return {name: r.configure(args, None, frozen) for name, r in registered().items()}
