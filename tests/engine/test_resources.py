"""Resources are registered by the science (generator/resources/) and the engine resolves, keys
and hands them over without knowing what they are: a toy resource and experiment, registered from
outside the generator package, get their options, their checks, their identity in the key, their
key modules hashed and their value in the run, with no change to generator/engine/."""
from __future__ import annotations

import importlib
import re

import pytest

from generator.engine import cli, resources
from generator.engine.plan import Environment, Options, plan
from generator.engine.registry import Experiment
from generator.engine.run import run_node
from generator.engine.store import Store
from generator.errors import BuildError
from generator.paths import ROOT

TOY = "tests.fixtures.toy_science"


@pytest.fixture
def toy(monkeypatch) -> Experiment:
    monkeypatch.setattr(resources, "PACKAGE", TOY)
    return Experiment("half_length", importlib.import_module(f"{TOY}.half_length"))


def test_a_new_resource_brings_its_options_and_their_checks(toy):
    args = cli.parse_args(["--ruler-cm", "12"])
    assert args.ruler_cm == 12.0 and args.mnist == "auto"       # the report's own resources stay
    args.ruler_cm = -1.0
    with pytest.raises(BuildError, match="--ruler-cm -1.0: a ruler is longer than 0 cm") as info:
        cli.check_options(args)
    assert info.value.where == "--ruler-cm"


def test_a_new_resource_is_keyed_and_handed_to_the_experiment(toy, tmp_path):
    store = Store(tmp_path / "cache")

    def planned(cm: float):
        args = cli.parse_args(["--ruler-cm", str(cm)])
        env = Environment(Options(cache_dir=tmp_path / "cache"),
                          resources.configure(args, {"half_length": toy}, store, frozen=False))
        (node,) = plan({"half_length": toy}, {}, env, store)
        return node, env

    node, env = planned(30)
    assert node.ingredients["inputs"] == {"ruler": "ruler:30"}             # only the resources it uses
    assert "tests/fixtures/toy_science/measure.py" in node.ingredients["sources"]   # its key modules
    assert planned(12)[0].key != node.key                                  # another ruler, another key
    assert env.resources["ruler"].built == 0                               # planning needs its identity only
    run_node(node, {}, env, store)
    assert node.entry is not None and node.entry.result().json("half") == {"cm": 15.0}
    assert env.resources["ruler"].chosen() == "ruler: 30 cm"


def test_the_engine_names_no_dataset_model_or_prompt():
    """What the engine knows of the science's resources is the protocol: no module of it names the
    MNIST split or the Part A model (the report's two registered resources), DeepFloyd or prompts."""
    hits = {p.relative_to(ROOT).as_posix(): n for p in sorted((ROOT / "generator" / "engine").glob("*.py"))
            if (n := len(re.findall(r"mnist|deepfloyd|prompt|backend", p.read_text(), flags=re.I)))}
    assert hits == {}
