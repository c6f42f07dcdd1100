"""Plan: which experiments are fresh and which must run, decided before anything runs.

``plan`` resolves every experiment's parameters, computes its key (``keys.key_of`` of its
ingredients) and looks it up, so a bad reference or parameter is reported before an hour of
compute. ``run.execute`` (or ``ray_executor.execute_ray``) then runs what is missing or stale.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch

from ..errors import BuildError
from ..paths import ROOT
from . import keys
from .store import CorruptEntry, Entry, ResultStore
from .. import params as params_mod
from .registry import Experiment, closure
from .resources import Resource, defaults as resource_defaults, made_with, variant_of


@dataclass
class Options:
    seed: int = 180
    device: str = "cpu"
    precision: str = "fp32"          # fp32 | bf16 (autocast)
    # --device or --precision given: results must come from exactly that regime. Otherwise a result
    # cached under another regime (a page computed on a GPU) is used when it is fresh
    numerics_given: bool = False
    frozen: bool = False
    force: tuple[str, ...] = ()
    cache_dir: Path = ROOT / "cache"
    content_dir: Path = ROOT / "content"   # a file: input is a path inside it


@dataclass
class Node:
    exp: Experiment
    params: Any
    upstream: list[str]
    ingredients: dict
    key: str
    status: str = "missing"          # fresh | missing | stale | corrupt | forced
    reason: str = "not in cache"
    entry: Optional[Entry] = None
    seconds: Optional[float] = None  # compute time of the stored result (provenance)
    device: str = ""
    host: str = ""                   # the machine that computed it (provenance)
    ran: bool = False
    # provenance of the result a run would replace (the cached or the newest earlier entry): its
    # seconds, threads and machine speed give the estimate of a rerun (engine/estimate.py)
    recorded: Optional[dict] = None

    @property
    def name(self) -> str:
        return self.exp.name


class Environment:
    """What a whole build shares: its options and its resources (``resources.Resource``: each chosen
    and built once, and read by an experiment as ``ctx.<name>``)."""

    def __init__(self, opts: Options, resources: Optional[dict[str, Resource]] = None):
        self.opts = opts
        self.resources = resources if resources is not None else resource_defaults(frozen=opts.frozen)

    def __getattr__(self, name: str) -> Any:
        """``env.<name>``: the value of the resource of that name (what ``ctx.<name>`` returns)."""
        resources = self.__dict__.get("resources", {})
        if name in resources:
            return resources[name].value()
        raise AttributeError(name)

    def used_by(self, exp: Experiment) -> list[Resource]:
        return [r for r in self.resources.values() if exp.uses(r.name)]


def page_roots(pages, overrides: dict, resources: dict[str, Resource]) -> set[str]:
    """The experiments a build plans for ``pages``: each figure's and each quoted number's on this
    build's page variant, and each overridden one, except an override of an experiment that only
    builds a choice not taken (what only another model is built from), which plans nothing."""
    variant = variant_of(resources)
    not_needed = set().union(*(r.not_needed() for r in resources.values()))
    shown = {f.experiment for p in pages for f in p.figures if f.shown_on(variant)}
    quoted = {v.experiment for p in pages for v in p.values if v.shown_on(variant)}   # numbers in the prose
    return shown | quoted | (set(overrides) - not_needed)


MAX_INPUT_PIXELS = 40_000_000  # a larger "image" is a decompression bomb, not a photograph


def check_image(path: Path, rel: str, where: Optional[str]) -> None:
    """An image input decodes and is of sane size (read before anything runs)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            size = img.size
            if size[0] * size[1] > MAX_INPUT_PIXELS:
                raise BuildError(f"input image '{rel}' is {size[0]} x {size[1]} pixels, more than "
                                 f"{MAX_INPUT_PIXELS:,}. Fix: resize it (the models use 64 or 28 px)", where)
            img.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as e:
        raise BuildError(f"input '{rel}' is not a readable image ({type(e).__name__}). Fix: give a PNG or "
                         "JPEG file", where) from None


def _file_values(params: Any) -> list[str]:
    """Every parameter value (or list item) written ``file:PATH``: an input image."""
    found = []
    for value in params_mod.as_dict(params).values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v.startswith("file:"):
                found.append(v[len("file:"):])
    return found


def plan(experiments: dict[str, Experiment], overrides: dict[str, dict], env: Environment,
         store: ResultStore, override_lines: dict | None = None, roots: list[str] | None = None) -> list[Node]:
    """Resolve params and keys of ``roots`` (default: every experiment) and everything upstream.

    The build passes the experiments that the pages show, so an experiment that
    nothing needs (what only a model not chosen is built from) is never planned.
    """
    opts = env.opts
    override_lines = override_lines or {}
    known = ", ".join(sorted(experiments))
    for name in overrides:
        if name not in experiments:
            raise BuildError(f"unknown experiment '{name}'. Fix: use one of {known}", override_lines.get((name, None)))
    # figure references are checked while gathering, so any other unknown root came from the command line
    unknown = sorted((set(roots or []) | set(opts.force)) - set(experiments))
    if unknown:
        raise BuildError(f"unknown experiment(s) {', '.join(unknown)}. Fix: use one of {known}", "--only/--force")

    def upstream_of(name: str) -> list[str]:
        if name not in experiments:
            raise BuildError(f"unknown upstream experiment '{name}'")
        exp = experiments[name]
        return list(exp.upstream) + [u for r in env.used_by(exp) for u in r.upstream()]

    names = closure(sorted(roots if roots is not None else experiments), upstream_of)
    # an experiment's parameters: its defaults, then what its resources give, then the page's
    def given(name: str) -> dict:
        base = {k: v for r in env.used_by(experiments[name]) for k, v in r.param_defaults(name).items()}
        return {**base, **overrides.get(name, {})}

    resolved = {name: params_mod.resolve(experiments[name].params_cls, given(name), name,
                                         lambda key, n=name: override_lines.get((n, key)))
                for name in names}
    for r in env.resources.values():
        r.settle(resolved, [n for n in names if experiments[n].uses(r.name)],
                 lambda n: override_lines.get((n, None)))
    nodes: dict[str, Node] = {}
    for name in names:
        exp, p = experiments[name], resolved[name]
        inputs = {}
        # file: parameters are images in the content folder; input_files() names other files, in the repository
        for label, inside, rel in [(f"file:{f}", opts.content_dir, f) for f in _file_values(p)] + \
                [(f, ROOT, f) for f in getattr(p, "input_files", list)()]:
            path = inside / rel
            if not path.resolve().is_relative_to(inside.resolve()):
                raise BuildError(f"input '{label}' of experiment '{name}' lies outside {inside}. Fix: move the file "
                                 "into that folder and name it by its path there", override_lines.get((name, None)))
            if not path.is_file():
                raise BuildError(f"input file '{label}' of experiment '{name}' does not exist in {inside}. Fix: add "
                                 "it or change the parameter that names it", override_lines.get((name, None)))
            if label.startswith("file:"):
                check_image(path, label, override_lines.get((name, None)))
            inputs[label] = keys.sha256_file(path)   # the path relative to its folder, and the bytes
        for r in env.used_by(exp):       # a resource's identity is the input of its name, or its own slot
            if r.key_slot is None:
                inputs[r.name] = r.identity()
        ups = upstream_of(name)
        ingredients = {
            "name": name,
            "params": params_mod.as_dict(p),
            "sources": keys.sources(exp),
            "inputs": inputs,
            "upstream": {u: experiments[u].key_for(nodes[u].key, nodes[u].ingredients, p) for u in ups},
            **{r.key_slot: r.identity() if exp.uses(r.name) else None for r in env.resources.values() if r.key_slot},
            "seed": opts.seed,
            "numerics": numerics(opts),
        }
        node = Node(exp, p, ups, ingredients, keys.key_of(ingredients))
        same = [made_with(r, r.group_of(r.identity())) for r in env.used_by(exp) if len(r.groups) > 1]
        _lookup(node, store, upstream_nodes=[nodes[u] for u in ups], forced=name in opts.force,
                same_choice=same[0] if same else None)
        if node.status != "fresh" and not opts.numerics_given and name not in opts.force:
            node = _other_regime(node, store) or node
        nodes[name] = node
    return list(nodes.values())


def regime_text(prov: dict) -> str:
    """'cpu', 'cuda:0, bf16': where a result was computed, and its precision where not fp32."""
    return prov.get("device", "") + (f", {prov['precision']}" if prov.get("precision", "fp32") != "fp32" else "")


def numerics(opts: Options) -> dict:
    """The numeric regime that enters every key: the device's type and the precision. A GPU's
    kernels and bf16 both change the low bits of every result, so neither is ever reused as the other."""
    return {"device": torch.device(opts.device).type, "precision": opts.precision}


def _other_regime(node: Node, store: ResultStore) -> Optional[Node]:
    """Where no regime was asked for: the node under the regime of its newest cached entry, if that
    entry is fresh under it (a page computed on a GPU renders anywhere). The key says which regime."""
    prev = store.previous(node.name)
    theirs = (prev or {}).get("ingredients", {}).get("numerics")
    if not theirs or theirs == node.ingredients["numerics"]:
        return None
    ingredients = {**node.ingredients, "numerics": theirs}
    other = Node(node.exp, node.params, node.upstream, ingredients, keys.key_of(ingredients))
    _lookup(other, store, upstream_nodes=[], forced=False)
    return other if other.status == "fresh" else None


def _lookup(node: Node, store: ResultStore, upstream_nodes: list[Node], forced: bool,
            same_choice: Optional[Callable[[dict], bool]] = None) -> None:
    """Find the node's entry, else explain what changed since the newest entry made with the same
    kind of choice (``same_choice``: a result of one model is compared with that model's, not with
    another's)."""
    try:
        node.entry = store.load(node.name, node.key)
    except CorruptEntry as e:
        node.status, node.reason = "corrupt", f"corrupt entry: {e}"
        node.recorded = (store.previous(node.name) or {}).get("provenance")
        return
    if node.entry is not None:
        prov = node.recorded = node.entry.manifest["provenance"]
        node.status, node.reason = "fresh", "cached"
        node.seconds, node.device, node.host = prov.get("seconds"), regime_text(prov), prov.get("host", "")
        if forced:
            node.status, node.reason = "forced", "--force"
        return
    prev = store.previous(node.name, same_choice) if same_choice is not None else None
    prev = prev or store.previous(node.name)
    node.recorded = prev["provenance"] if prev else None
    if prev is None:
        node.status, node.reason = "missing", "not in cache"
    else:
        node.status, node.reason = "stale", "; ".join(keys.explain_change(prev["ingredients"], node.ingredients))


def check_frozen(todo: list[Node], opts: Options) -> None:
    if opts.frozen and todo:
        lines = "\n".join(f"  {n.name}: {n.status} ({n.reason})" for n in todo)
        raise BuildError(f"--frozen: {len(todo)} result(s) missing or stale, and --frozen never runs "
                         f"anything:\n{lines}\nFix: run `python build.py` (without --frozen) to compute "
                         "them, then commit cache/")
