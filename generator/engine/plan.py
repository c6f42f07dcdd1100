"""Plan: which experiments are fresh and which must run, decided before anything runs.

``plan`` resolves every experiment's parameters, computes its key (``keys.key_of`` of its
ingredients) and looks it up, so a bad reference or parameter is reported before an hour of
compute. ``run.execute`` (or ``ray_executor.execute_ray``) then runs what is missing or stale.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch

from ..errors import BuildError
from ..paths import ROOT
from . import keys
from ..results import Result
from .store import CorruptEntry, Entry, ResultStore
from .. import params as params_mod
from .registry import Experiment, closure
from .resources import Resource, defaults as resource_defaults


@dataclass
class Options:
    seed: int = 180
    device: str = "cpu"
    precision: str = "fp32"          # fp32 | bf16 (autocast)
    # --device or --precision given: results must come from exactly that regime. Otherwise a result
    # cached under another regime (a DeepFloyd page computed on a GPU) is used when it is fresh
    numerics_given: bool = False
    backend: str = "auto"            # auto | deepfloyd | scratch
    frozen: bool = False
    force: tuple[str, ...] = ()
    cache_dir: Path = ROOT / "cache"
    content_dir: Path = ROOT / "content"   # a file: input is a path inside it
    weights: Optional[Path] = None   # --weights: a local copy of the DeepFloyd IF weights
    offload: Optional[bool] = None   # --offload: model CPU offload (None: on for cards under 24 GB)
    declared_backend: Optional[str] = None   # the page's front matter 'backend'
    # what the cached results were computed from (``recorded_choices``): auto resolves to these
    cached_backends: dict[str, str] = field(default_factory=dict)      # backend name -> identity


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
    """What a whole build shares: its options, its resources (``resources.Resource``: each chosen
    and built once, and read by an experiment as ``ctx.<name>``) and the Part A backend."""

    def __init__(self, opts: Options, resources: Optional[dict[str, Resource]] = None):
        self.opts = opts
        self.resources = resources if resources is not None else resource_defaults(opts.frozen)
        self._backend_choice = None
        self._built: tuple = (None, None)  # (upstream keys, the backend built from them)

    def __getattr__(self, name: str) -> Any:
        """``env.<name>``: the value of the resource of that name (what ``ctx.<name>`` returns)."""
        resources = self.__dict__.get("resources", {})
        if name in resources:
            return resources[name].value()
        raise AttributeError(name)

    @property
    def backend_choice(self):
        if self._backend_choice is None:
            from ..models import select

            self._backend_choice = select.choose(self.opts.backend, self.opts.device, self.opts.weights,
                                                 self.opts.offload, self.opts.declared_backend,
                                                 self.opts.cached_backends)
        return self._backend_choice

    def backend(self, upstream: dict[str, Result]):
        """The Part A model, built once per build from its upstream results (each DeepFloyd stage is
        loaded once, and stage II only when a result is upsampled)."""
        names = self.backend_choice.upstream
        key = tuple(upstream[n].key for n in names)
        if self._built[0] != key:
            self._built = (key, self.backend_choice.make({n: upstream[n] for n in names},
                                                         torch.device(self.opts.device)))
        return self._built[1]


def made_with(backend: str):
    """A manifest filter: results computed on the Part A ``backend`` (``Store.previous``'s accept)."""
    from ..models import select

    return lambda m: bool(m["ingredients"].get("backend")) and select.name_of(m["ingredients"]["backend"]) == backend


def page_roots(pages, overrides: dict, choice) -> set[str]:
    """The experiments a build plans for ``pages``: each figure's, and each overridden one, except an
    override of an experiment that only builds another backend (DeepFloyd's prompt_embeddings on the
    scratch backend), which plans nothing."""
    from ..models import select

    other_backends = select.BACKEND_UPSTREAM - set(choice.upstream)
    shown = {f.experiment for p in pages for f in p.figures if f.shown_on(choice.name)}
    quoted = {v.experiment for p in pages for v in p.values if v.shown_on(choice.name)}   # numbers in the prose
    return shown | quoted | (set(overrides) - other_backends)


def recorded_choices(experiments: dict[str, Experiment], store) -> dict[str, str]:
    """What the cached results were computed from: {backend name: identity} of the newest Part A
    entry of each backend. ``auto`` resolves to these, so a build renders what is committed unless
    told to recompute."""
    from ..models import select

    backends: dict[str, str] = {}
    dates: dict[str, str] = {}
    for name, exp in sorted(experiments.items()):
        if exp.uses_backend:
            for backend in select.NAMES:
                m = store.previous(name, made_with(backend))
                if m and m["provenance"]["date"] > dates.get(backend, ""):
                    backends[backend], dates[backend] = m["ingredients"]["backend"], m["provenance"]["date"]
    return backends


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
    nothing needs (prompt embeddings on the scratch backend) is never planned.
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
        extra = list(env.backend_choice.upstream) if exp.uses_backend else []
        return list(exp.upstream) + extra

    names = closure(sorted(roots if roots is not None else experiments), upstream_of)
    # a Part A experiment's parameters: its defaults, then the backend's prompt set, then the page's
    def given(name: str) -> dict:
        base = env.backend_choice.defaults.get(name, {}) if experiments[name].uses_backend else {}
        return {**base, **overrides.get(name, {})}

    resolved = {name: params_mod.resolve(experiments[name].params_cls, given(name), name,
                                         lambda key, n=name: override_lines.get((n, key)))
                for name in names}
    _check_prompts(experiments, resolved, env.backend_choice, override_lines)
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
        for r in env.resources.values():       # a resource's identity is the input of its name
            if exp.uses(r.name):
                inputs[r.name] = r.identity()
        ups = upstream_of(name)
        ingredients = {
            "name": name,
            "params": params_mod.as_dict(p),
            "sources": keys.sources(exp),
            "inputs": inputs,
            "upstream": {u: experiments[u].key_for(nodes[u].key, nodes[u].ingredients, p) for u in ups},
            "backend": env.backend_choice.identity if exp.uses_backend else None,
            "seed": opts.seed,
            "numerics": numerics(opts),
        }
        node = Node(exp, p, ups, ingredients, keys.key_of(ingredients))
        _lookup(node, store, upstream_nodes=[nodes[u] for u in ups], forced=name in opts.force,
                backend=env.backend_choice.name if exp.uses_backend else None)
        if node.status != "fresh" and not opts.numerics_given and name not in opts.force:
            node = _other_regime(node, store) or node
        nodes[name] = node
    return list(nodes.values())


def _check_prompts(experiments: dict[str, Experiment], resolved: dict[str, Any], choice, override_lines) -> None:
    """Every prompt that a Part A experiment will use is one the backend can use, and, where the
    backend embeds prompts (DeepFloyd's T5), the prompt_embeddings experiment embeds exactly the
    prompts used (plus any listed in its own ``prompts``), so none is ever missing at run time.
    The unconditional prompt "" is always included: CFG and stage II need it."""
    used = [""]
    for name, p in resolved.items():
        if not experiments[name].uses_backend:
            continue
        for prompt in getattr(p, "used_prompts", list)():
            try:
                choice.check_prompt(prompt)
            except ValueError as e:
                raise BuildError(f"experiment '{name}': {e}. Fix: change that prompt in the front matter",
                                 override_lines.get((name, None)) or f"experiment {name}") from None
            used.append(prompt)
    if choice.embed_prompts is not None:  # the backend's upstream is the experiment that embeds them
        for name in set(choice.upstream) & set(resolved):
            p = resolved[name]
            p.prompts = list(dict.fromkeys(list(p.prompts) + used))  # ordered, without repeats


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
            backend: Optional[str] = None) -> None:
    """Find the node's entry, else explain what changed since the newest entry of the same backend
    (a DeepFloyd result is compared with DeepFloyd's, not with the scratch model's)."""
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
    prev = store.previous(node.name, made_with(backend)) if backend is not None else None
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
