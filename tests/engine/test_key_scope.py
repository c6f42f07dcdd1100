"""Every file that can shape a result is in that result's key (issue: silent stale results).

Each ``generator`` module is either hashed into the key of every experiment it can affect, or
listed in ``keys.OUTSIDE_KEYS`` with the reason it cannot change a result. Keys hash the
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
    outside = set(keys.OUTSIDE_KEYS)
    assert not (keyed & outside), f"listed as outside every key but hashed: {sorted(keyed & outside)}"
    assert set(MODULES) - keyed - outside == set(), "modules neither keyed nor listed with a reason"
    assert outside <= set(MODULES), f"listed but gone: {sorted(outside - set(MODULES))}"
    assert all(len(reason) > 20 for reason in keys.OUTSIDE_KEYS.values())


def test_the_engine_is_a_package_of_its_own_that_no_science_module_imports():
    """generator/engine/ holds exactly the modules outside every key; the science never reaches back
    into it, so moving or editing engine code cannot rerun a result."""
    engine = {m for m in MODULES if m.startswith("generator/engine/")}
    assert engine == set(keys.OUTSIDE_KEYS)
    science = [m for m in MODULES if m not in engine]
    reaching = {m: sorted(set(keys.source_closure(m[:-3].replace("/", "."))) & engine) for m in science}
    assert {m: e for m, e in reaching.items() if e} == {}


def test_engine_code_that_shapes_results_is_in_the_keys_it_affects():
    srcs = keyed_sources()
    for name, exp in EXPERIMENTS.items():
        files = srcs[name]
        # seeding and artifact encoding shape every result (media objects encode themselves and come
        # with the experiment's own imports)
        assert {"generator/context.py", "generator/artifacts.py"} <= set(files), name
        assert ("generator/data/mnist.py" in files) == bool(exp.uses_mnist or "generator/data/mnist.py" in
                                                             keys.source_closure(exp.module.__name__)), name
        if exp.uses_backend:  # backend construction, DeepFloyd and scratch alike
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
    if module in keys.OUTSIDE_KEYS:
        assert changed == set()
    else:
        assert changed, f"{module} changes no key and is not listed in keys.OUTSIDE_KEYS"


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
