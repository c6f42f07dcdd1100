"""Every file that can shape a result is in that result's key (issue: silent stale results).

Each ``generator`` module is either hashed into the key of every experiment it can affect, or
listed in ``keys.outside_keys()`` with the reason it cannot change a result. Keys hash the
code without comments or docstrings, so editing prose in a trained module never reruns it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.engine import keys, registry
from generator.paths import ROOT

EXPERIMENTS = registry.discover()
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "generator").rglob("*.py"))


def keyed_sources() -> dict[str, dict[str, str]]:
    return {name: keys.sources(exp) for name, exp in EXPERIMENTS.items()}


def test_every_module_is_in_a_key_or_listed_with_a_reason():
    keyed = set().union(*(set(s) for s in keyed_sources().values()))
    outside = set(keys.outside_keys())
    assert not (keyed & outside), f"listed as outside every key but hashed: {sorted(keyed & outside)}"
    assert set(MODULES) - keyed - outside == set(), "modules neither keyed nor listed with a reason"
    assert outside <= set(MODULES), f"listed but gone: {sorted(outside - set(MODULES))}"
    assert all(len(reason) > 20 for reason in keys.outside_keys().values())


def test_the_engine_is_a_package_of_its_own_that_no_science_module_imports():
    """generator/engine/ and the resource adapters that the science registers for it
    (generator/resources/) hold exactly the modules outside every key; the science never reaches
    back into the engine, so moving or editing engine code cannot rerun a result."""
    engine = {m for m in MODULES if m.startswith("generator/engine/")}
    adapters = {m for m in MODULES if m.startswith("generator/resources/")}
    assert engine | adapters == set(keys.outside_keys())
    science = [m for m in MODULES if m not in engine]
    reaching = {m: sorted(set(keys.source_closure(m[:-3].replace("/", "."))) & engine) for m in science}
    assert {m: e for m, e in reaching.items() if e} == {}


def test_models_never_import_experiments():
    """The layers point one way: experiments use models, models never reach up into an experiment
    (a backend is built from a result's weights and their stored config, not from Params)."""
    models = [m for m in MODULES if m.startswith("generator/models/")]
    reaching = {m: sorted(f for f in keys.source_closure(m[:-3].replace("/", "."))
                          if f.startswith("generator/experiments/")) for m in models}
    assert {m: e for m, e in reaching.items() if e} == {}


def test_engine_code_that_shapes_results_is_in_the_keys_it_affects():
    srcs = keyed_sources()
    for name, exp in EXPERIMENTS.items():
        files = srcs[name]
        # seeding and artifact encoding shape every result (media objects encode themselves and come
        # with the experiment's own imports)
        assert {"generator/context.py", "generator/artifacts.py"} <= set(files), name
        assert ("generator/data/mnist.py" in files) == bool(exp.uses("mnist") or "generator/data/mnist.py" in
                                                             keys.source_closure(exp.module.__name__)), name
        if exp.uses("backend"):  # backend construction, DeepFloyd and scratch alike
            assert {"generator/models/select.py", "generator/models/deepfloyd.py",
                    "generator/models/improved_backend.py"} <= set(files), name


@pytest.mark.parametrize("module", MODULES)
def test_a_code_change_in_any_module_changes_exactly_the_keys_that_hash_it(module, monkeypatch):
    before = keyed_sources()
    real = keys.source_digest  # memoised by file stat, so only the edited file's digest differs
    monkeypatch.setattr(keys, "source_digest",
                        lambda path: real(path) + ("-edited" if path == ROOT / module else ""))
    after = keyed_sources()
    changed = {n for n in EXPERIMENTS if keys.key_of(before[n]) != keys.key_of(after[n])}
    assert changed == {n for n in EXPERIMENTS if module in before[n]}
    if module in keys.outside_keys():
        assert changed == set()
    else:
        assert changed, f"{module} changes no key and is not listed in keys.outside_keys()"


CODE = '''"""Module docstring."""
import torch


def f(x):
    """Docstring."""
    # a comment that cites a paper
    return x * 2  # trailing comment


class A:
    """Class docstring."""

    def g(self):
        return 1
'''


def digest_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"m{abs(hash(text))}.py"
    path.write_text(text)
    return keys.source_digest(path)


def test_comment_docstring_and_layout_edits_keep_the_digest(tmp_path):
    base = digest_of(tmp_path, CODE)
    edits = [CODE.replace("a comment that cites a paper", "see docs/architecture.md"),
             CODE.replace('"""Docstring."""', '"""Another docstring,\n    on two lines."""'),
             CODE.replace('"""Module docstring."""\n', ""),
             CODE.replace("x * 2  # trailing comment", "(x *   2)"),
             CODE.replace("\n\n\nclass A", "\n\nclass A")]
    assert [digest_of(tmp_path, e) for e in edits] == [base] * len(edits)


@pytest.mark.parametrize("old,new", [("x * 2", "x * 3"), ("x * 2", "x + 2"), ("return 1", "return 1.0"),
                                     ("import torch", "import numpy"), ('"""Class docstring."""\n', "x = 1\n")])
def test_a_one_token_code_edit_changes_the_digest(tmp_path, old, new):
    assert digest_of(tmp_path, CODE.replace(old, new, 1)) != digest_of(tmp_path, CODE)


def test_a_string_that_is_not_a_docstring_counts(tmp_path):
    code = 'def f():\n    x = 1\n    "not a docstring"\n    return x\n'
    assert digest_of(tmp_path, code) != digest_of(tmp_path, code.replace("not a", "no longer a"))


def _changed(value):
    """``value`` with every float tensor halved and every float field of an experiment's parameters
    (a ``Params`` dataclass) halved, at any depth of dicts, lists and tuples; ``value`` itself when it
    holds neither. (Other objects pass unchanged: the MNIST split, for one, is fingerprinted into every
    key that reads it, so changing it would only make every result stale and hide the rest.)"""
    import dataclasses

    import torch

    if isinstance(value, torch.Tensor):
        return value * 0.5 if value.is_floating_point() else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value).__name__ == "Params":
        changes = {f.name: v * 0.5 for f in dataclasses.fields(value) if type(v := getattr(value, f.name)) is float}
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, (dict, list, tuple)) and not isinstance(value, str):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        new = [(k, _changed(v)) for k, v in items]
        if all(a[1] is b[1] for a, b in zip(items, new)):
            return value
        return dict(new) if isinstance(value, dict) else type(value)(v for _, v in new) if isinstance(
            value, tuple) else [v for _, v in new]
    return value


def _mutate_every_function(module, monkeypatch) -> int:
    """Wrap each function and method defined in ``module`` so that what it returns comes back changed."""
    import functools
    import inspect

    def wrap(fn):
        @functools.wraps(fn)
        def changed(*args, **kwargs):
            return _changed(fn(*args, **kwargs))
        return changed

    count = 0
    for name, obj in list(vars(module).items()):
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            monkeypatch.setattr(module, name, wrap(obj))
            count += 1
        elif inspect.isclass(obj) and obj.__module__ == module.__name__:
            for attr, member in list(vars(obj).items()):
                if attr.startswith("__"):
                    continue
                if inspect.isfunction(member):
                    monkeypatch.setattr(obj, attr, wrap(member))
                    count += 1
                elif isinstance(member, property) and member.fget is not None:
                    monkeypatch.setattr(obj, attr, property(wrap(member.fget), member.fset))
                    count += 1
    return count


def test_no_module_outside_the_keys_can_change_an_artifact_without_changing_its_key(proj, capsys, monkeypatch):
    """The mutation probe: every function and method of every module outside the keys returns its
    tensors and its dataclasses' floats halved (as an edit to ``Entry.tensors`` once did, unseen);
    every result is then recomputed. A result whose key stayed the same must have the same bytes:
    whatever can change a result is in its key. (On the code where experiments read upstream tensors
    through the store's Entry, Part A's model choice and everything drawn by it changed under the
    same keys.)"""
    import importlib
    import json
    import re
    import time

    from ..tiny_report import build

    def timeless(path):   # an artifact's content without the seconds a run took (they differ every run)
        if path.suffix != ".json":
            return path.read_bytes()
        value = json.loads(path.read_text())
        if isinstance(value, dict) and "rows" in value:
            value["rows"] = [r for r in value["rows"] if not re.search(r"time|looks", str(r[0]))]
        elif isinstance(value, dict):
            value = {k: v for k, v in value.items() if "seconds" not in k}
        return json.dumps(value).encode()

    def snapshot():   # {(name, key): {file: content}}; a changed key is a new entry beside the old one
        out = {}
        for man in (proj / "cache").glob("*/*/manifest.json"):
            m = json.loads(man.read_text())
            out[m["ingredients"]["name"], m["key"]] = {f: timeless(man.parent / f)
                                                       for a in m["artifacts"].values() for f in a["files"].values()}
        return out

    before = snapshot()
    t0 = time.time_ns()
    wrapped = 0
    for path in keys.outside_keys():
        wrapped += _mutate_every_function(importlib.import_module(path[:-3].replace("/", ".")), monkeypatch)
    assert wrapped > 100
    code, _, err = build(proj, "--force", *{name for name, _ in before}, capsys=capsys)
    monkeypatch.undo()
    assert code == 0, err
    after = snapshot()
    rebuilt_same_key = {k for k in before if k in after and any(
        (proj / "cache" / k[0] / k[1][:16] / "manifest.json").stat().st_mtime_ns > t0 for _ in [0])}
    assert rebuilt_same_key, "no result was recomputed under its old key: the probe tested nothing"
    assert [k[0] for k in rebuilt_same_key if after[k] != before[k]] == []


def test_tests_share_helpers_not_other_test_modules():
    """A test module imports helpers (tests/tiny_report.py, tests/tolerances.py, fixtures), never
    another test module, whose tests would then be collected or coupled twice."""
    import ast

    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if "vendor" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.rpartition(".")[2].startswith("test_"):
                found.append(f"{path.relative_to(ROOT)}: from {'.' * node.level}{node.module}")
    assert found == []


def test_every_experiment_has_a_test_file_of_its_own():
    """tests/experiments/test_NAME.py for every registered experiment: where a newcomer looks for what
    an experiment's science must satisfy (one property at least, even if small)."""
    have = {p.stem[len("test_"):] for p in (ROOT / "tests" / "experiments").glob("test_*.py")}
    assert sorted(set(EXPERIMENTS) - have) == []
