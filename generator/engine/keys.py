"""Cache keys: what a result's key hashes, and which code it covers (docs/architecture.md, "The cache key").

A key is the sha256 of a result's *ingredients*: its name, resolved parameters, the source of its
experiment module and of every ``generator`` module it imports (transitively), without comments or
docstrings, plus the engine modules that shape every result, input-file hashes, upstream keys,
the identity of each resource it uses, seed and numeric regime (device type, precision). The
modules every value passes through:

* ``generator.context``: seeding, the device and the numeric regime, what ``run`` may use;
* ``generator.artifacts``: how returned values become files (PNG, WebP, JSON, safetensors);
* ``generator.results``: how an experiment reads an upstream result (parameters, JSON, tensors);
* ``generator.params``: how parameters are typed and checked (also when read back from a result);
* the ``key_modules`` of each resource an experiment uses (how its data is read or its model
  chosen and built; engine/resources.py).

Every other module is listed in ``outside_keys()`` with the reason it cannot change a result;
``tests/engine/test_key_scope.py`` proves that each module is one or the other.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path
from typing import Optional

from ..paths import ROOT

# Per-process memo of file digests, keyed by the file's identity and stat (as git's index does): a
# one-shot build hashes every file once, a long-lived --serve process rehashes only changed files.
_DIGESTS: dict[tuple, str] = {}
_IMPORTS: dict[tuple, set[str]] = {}


def _stat_key(path: Path) -> tuple:
    st = os.stat(path)
    return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)


def forget_digests() -> None:
    """Hash every file again from now on (--frozen verifies everything, memo or not)."""
    _DIGESTS.clear()
    _IMPORTS.clear()


def sha256_file(path: Path) -> str:
    key = _stat_key(path)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def _module_file(name: str) -> Optional[Path]:
    parts = name.split(".")
    base = ROOT.joinpath(*parts)
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    return None


def _imports_of(path: Path, module: str) -> set[str]:
    """Names of ``generator`` modules imported by the file (absolute and relative imports)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # "from . import x" imports a module
    return {m for m in found if m.split(".")[0] == "generator" and _module_file(m)}


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_digest(path: Path) -> str:
    """sha256 of a module's code without comments, docstrings or layout: the source parsed and
    printed back by ``ast.unparse``. Editing a comment or a docstring keeps every key; any change
    to the code changes the digest."""
    key = ("ast",) + _stat_key(path)
    if key not in _DIGESTS:
        tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        _DIGESTS[key] = hashlib.sha256(ast.unparse(tree).encode()).hexdigest()
    return _DIGESTS[key]


def source_closure(*modules: str) -> dict[str, str]:
    """{relative path: source_digest} of ``modules`` and every generator module they import,
    transitively (imports inside functions count too).

    Package ``__init__`` files on the way are included, since importing a
    submodule runs them.
    """
    seen: dict[str, str] = {}
    todo = list(modules)
    while todo:
        m = todo.pop()
        path = _module_file(m)
        if path is None:   # _imports_of keeps only modules with a file; a name given here must have one
            raise ValueError(f"no module file for {m}")
        rel = path.relative_to(ROOT).as_posix()
        if rel in seen:
            continue
        seen[rel] = source_digest(path)
        key = (_stat_key(path), m)
        if key not in _IMPORTS:
            _IMPORTS[key] = _imports_of(path, m)
        todo.extend(_IMPORTS[key])
        parent = m.rpartition(".")[0]
        if parent:
            todo.append(parent)
    return dict(sorted(seen.items()))


def key_of(ingredients: dict) -> str:
    return hashlib.sha256(json.dumps(ingredients, sort_keys=True).encode()).hexdigest()


def explain_change(old: dict, new: dict) -> list[str]:
    """Human reasons why ``new`` ingredients differ from ``old`` ones (for --explain)."""
    reasons = []
    for k in sorted(set(old.get("params", {})) | set(new.get("params", {}))):
        a, b = old.get("params", {}).get(k), new.get("params", {}).get(k)
        if a != b:
            reasons.append(f"param {k}: {json.dumps(a)} -> {json.dumps(b)}")
    for kind, label in (("sources", "{} changed"), ("inputs", "input {} changed")):
        o, n = old.get(kind, {}), new.get(kind, {})
        for f in sorted(set(o) | set(n)):
            if f not in o:
                reasons.append(label.format(f).replace("changed", "added"))
            elif f not in n:
                reasons.append(label.format(f).replace("changed", "removed"))
            elif o[f] != n[f]:
                reasons.append(label.format(f))
    for k in sorted((set(old) | set(new)) - {"params", "sources", "inputs", "upstream", "numerics"}):
        if old.get(k) != new.get(k):        # seed, name, a resource's own slot (the model that drew it)
            reasons.append(f"{k}: {old.get(k)} -> {new.get(k)}")
    if old.get("numerics") != new.get("numerics"):
        words = lambda r: " ".join((r or {"device": "?", "precision": "?"}).values())  # noqa: E731
        reasons.append(f"numerics: {words(old.get('numerics'))} -> {words(new.get('numerics'))}")
    o, n = old.get("upstream", {}), new.get("upstream", {})
    reasons += [f"upstream {u} changed" for u in sorted(set(o) | set(n)) if o.get(u) != n.get(u)]
    return reasons or ["ingredients differ"]


ALWAYS = ("generator.context", "generator.artifacts", "generator.results", "generator.params")

OUTSIDE_KEYS = {
    "generator/engine/cli.py": "parses options; every option that shapes a result (seed, device, a resource's "
                        "choice) enters the key as a value",
    "generator/engine/content.py": "reads Markdown pages and front matter; the overrides it finds enter the key as "
                            "resolved parameter values",
    "generator/engine/registry.py": "finds experiment modules and their declarations; each module's source is in its key",
    "generator/engine/plan.py": "computes keys and looks entries up; parameters are resolved by generator/params.py "
                               "(in every key), resources are built by the modules in the key of every result that "
                               "uses them; it only keeps what they built for the build's length",
    "generator/engine/run.py": "hands an experiment its Context (generator/context.py) and upstream Results "
                              "(generator/results.py), both in every key, and passes the values it returns, unread "
                              "but for a NaN check, to generator/artifacts.py (in every key); records provenance",
    "generator/engine/__init__.py": "the package's docstring",
    "generator/engine/keys.py": "decides which modules are hashed and hashes them; the list of hashed files is "
                                "itself in the key",
    "generator/engine/store.py": "stores and verifies entries by hash and moves their files; experiments read "
                                 "an entry's values through generator/results.py (in every key), never through "
                                 "the store",
    "generator/engine/atomic.py": "renames folders into place and removes leftovers; moves bytes it never reads",
    "generator/engine/object_store.py": "the same store on fsspec URLs (byte-identical entries, tests/engine/test_cluster.py)",
    "generator/engine/ray_executor.py": "runs the same run_node on Ray workers (byte-identical, tests/engine/test_cluster.py)",
    "generator/engine/cluster_needs.py": "CPU/GPU/memory requests for Ray tasks; scheduling only",
    "generator/engine/threads.py": "picks the torch thread count; this changes at most one grey level in a few "
                            "trajectory pixels (summation order), recorded in provenance, tolerance tested "
                            "in tests/test_determinism.py",
    "generator/engine/build_stamp.py": "lets a no-op build skip planning when no input changed",
    "generator/engine/render.py": "turns cached artifacts into HTML; renders, never computes",
    "generator/engine/values.py": "copies a cached table cell or metric into the prose while rendering; never "
                                  "writes to the cache",
    "generator/engine/animation.py": "makes a trajectory's GIF and still frame from its cached sprite sheet while "
                                     "rendering; never writes to the cache",
    "generator/engine/browser_runtime.py": "finds the in-browser demo's runtime in node_modules while rendering; "
                                           "never read by an experiment",
    "generator/engine/site_guard.py": "decides which folder --site may replace; touches no result",
    "generator/engine/estimate.py": "estimates a rerun's seconds from provenance and a benchmark; never hashed",
    "generator/engine/resources.py": "the resource protocol: which identity and which modules enter a key, "
                                     "decided by the resources themselves",
    "generator/engine/import_results.py": "copies verified entries into the cache; each entry's key is checked "
                                          "against the key this checkout plans, so it cannot change one",
}


def outside_keys() -> dict[str, str]:
    """{path: reason} of every module outside every key: the engine's (``OUTSIDE_KEYS``) and the
    modules of the package where the science registers its resources, with the reason it gives."""
    import importlib

    from .resources import PACKAGE

    package = importlib.import_module(PACKAGE)
    folder = Path(package.__path__[0])
    return {**OUTSIDE_KEYS, **{p.relative_to(ROOT).as_posix(): package.OUTSIDE_KEYS_REASON
                               for p in sorted(folder.glob("*.py"))}}


def engine_modules(exp) -> tuple[str, ...]:
    """Modules (dotted names) besides its own whose source closure joins ``exp``'s key: those every
    result passes through, and those that build each resource it uses."""
    from .resources import registered

    used = tuple(m for r in registered().values() if exp.uses(r.name) for m in r.key_modules)
    return ALWAYS + used


def sources(exp) -> dict[str, str]:
    """{path: digest} of every module ``exp``'s key covers (the ingredients' "sources")."""
    return source_closure(exp.module.__name__, *engine_modules(exp))
