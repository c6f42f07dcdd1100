"""Which code an experiment's cache key covers (docs/architecture.md, "The cache key").

A key hashes the source closure of the experiment's module (every ``generator`` module it
imports, transitively) plus the closure of the engine modules that shape every result:

* ``generator.context``: seeding, the device, what ``run`` may use;
* ``generator.artifacts``: how returned values become files (PNG, WebP, JSON, safetensors);
* ``generator.data.mnist`` for experiments that read MNIST (how the split is loaded);
* ``generator.models.select`` for Part A experiments (how the backend is chosen and built,
  which imports the DeepFloyd and scratch backends).

Every other module is listed in ``OUTSIDE_KEYS`` with the reason it cannot change a result;
``tests/engine/test_key_scope.py`` proves that each module is one or the other.
"""
from __future__ import annotations

ALWAYS = ("generator.context", "generator.artifacts")
MNIST = ("generator.data.mnist",)
BACKEND = ("generator.models.select",)

OUTSIDE_KEYS = {
    "generator/engine/cli.py": "parses options; every option that shapes a result (seed, device, backend, weights, "
                        "MNIST source) enters the key as a value",
    "generator/engine/content.py": "reads Markdown pages and front matter; the overrides it finds enter the key as "
                            "resolved parameter values",
    "generator/engine/params.py": "type-checks overrides; the resolved values themselves are in the key",
    "generator/engine/registry.py": "finds experiment modules and their declarations; each module's source is in its key",
    "generator/engine/plan.py": "resolves parameters, computes keys and looks entries up; what a key covers is "
                               "decided here in key_scope.py, seeding lives in generator/context.py (in every key)",
    "generator/engine/run.py": "runs an experiment and records provenance (never hashed); seeding lives in "
                              "generator/context.py, which is in every key",
    "generator/engine/__init__.py": "the package's docstring",
    "generator/engine/key_scope.py": "decides which modules are hashed; the list of hashed files is itself in the key",
    "generator/engine/cache.py": "stores and verifies entries by hash; an entry's bytes are checked against its "
                          "manifest",
    "generator/engine/object_store.py": "the same store on fsspec URLs (byte-identical entries, tests/engine/test_cluster.py)",
    "generator/engine/ray_executor.py": "runs the same run_node on Ray workers (byte-identical, tests/engine/test_cluster.py)",
    "generator/engine/resources.py": "CPU/GPU/memory requests for Ray tasks; scheduling only",
    "generator/engine/threads.py": "picks the torch thread count; this changes at most one grey level in a few "
                            "trajectory pixels (summation order), recorded in provenance, tolerance tested "
                            "in tests/test_determinism.py",
    "generator/engine/build_stamp.py": "lets a no-op build skip planning when no input changed",
    "generator/engine/render.py": "turns cached artifacts into HTML; renders, never computes",
    "generator/engine/animation.py": "makes a trajectory's GIF and still frame from its cached sprite sheet while "
                                     "rendering; never writes to the cache",
    "generator/engine/browser_runtime.py": "finds the in-browser demo's runtime in node_modules while rendering; "
                                           "never read by an experiment",
    "generator/engine/site_guard.py": "decides which folder --site may replace; touches no result",
    "generator/engine/estimate.py": "estimates a rerun's seconds from provenance and a benchmark; never hashed",
    "generator/engine/import_results.py": "copies verified entries into the cache; each entry's key is checked "
                                          "against the key this checkout plans, so it cannot change one",
}


def engine_modules(exp) -> tuple[str, ...]:
    """Engine modules (dotted names) whose source closure joins ``exp``'s key."""
    return ALWAYS + (MNIST if exp.uses_mnist else ()) + (BACKEND if exp.uses_backend else ())


def sources(exp) -> dict[str, str]:
    """{path: digest} of every module ``exp``'s key covers (the ingredients' "sources")."""
    from .cache import source_closure

    return source_closure(exp.module.__name__, *engine_modules(exp))
