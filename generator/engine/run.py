"""Run: one experiment at a time in this process, each result stored with its provenance.

``run_node`` is what both executors call for one planned node (the Ray executor on its workers);
``execute`` runs the plan's missing and stale nodes upstream first.
"""
from __future__ import annotations

import dataclasses
import datetime
import importlib
import math
import socket
import subprocess
import sys
import time
from typing import Any, Iterable

import torch
from tqdm import tqdm

from .. import artifacts
from ..context import Context
from ..errors import BuildError, UserError
from ..paths import ROOT
from . import estimate
from .store import Entry
from .plan import Environment, Node, check_frozen, regime_text


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions() -> dict[str, str]:
    """Library versions for provenance (not part of any key)."""
    out = {"python": sys.version.split()[0]}
    for mod in ("torch", "diffusers", "numpy", "PIL"):
        try:
            out[mod] = importlib_version(mod)
        except Exception:
            pass
    return out


def importlib_version(mod: str) -> str:
    return getattr(importlib.import_module(mod), "__version__", "?")


def provenance(device: str, seconds: float, **extra) -> dict:
    """Where and how a result was made (never hashed); ``extra``: the Part A model's dtype."""
    return {
        "commit": _git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "device": device,
        "host": socket.gethostname(),
        "threads": torch.get_num_threads(),
        "versions": versions(),
        "seconds": round(seconds, 2),
        "speed": round(estimate.speed(), 2),   # GFLOP/s of a fixed benchmark: scales estimates of reruns
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


# What an experiment raises for a problem with the user's input, data or model files, each with its fix:
# reported in one line. Anything else is a bug and keeps its traceback (``cli.main``).
USER_ERRORS: tuple[type[Exception], ...] = (UserError,)


def nonfinite(value, path: str = "") -> str:
    """Where ``value`` (what ``run`` returned: tensors, numbers, lists, dicts, the media objects'
    dataclasses) holds a NaN or an infinity, as 'artifact/key[3]'; "" where it holds none."""
    if isinstance(value, torch.Tensor):
        return path if value.is_floating_point() and not bool(torch.isfinite(value).all()) else ""
    if isinstance(value, float):
        return path if not math.isfinite(value) else ""
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    else:
        return ""   # bytes, text, images (already 8-bit), a plot's figure
    for k, v in items:
        k = str(k)
        found = nonfinite(v, path + k if k.startswith("[") or not path else f"{path}/{k}")
        if found:
            return found
    return ""


def run_node(node: Node, upstream: dict[str, Entry], env: Environment, store) -> None:
    """Run one experiment and store its result (the local and the Ray executor both call this).
    Sets ``node.entry``, ``seconds``, ``device``, ``host`` and ``ran``."""
    ctx = Context(node, {name: e.result() for name, e in upstream.items()}, env, store.work_root)
    t0 = time.perf_counter()
    try:
        values = ctx.run(node.exp.module.run, node.params)
    except BuildError as e:   # raised by a check inside the experiment: says where and how to fix
        raise BuildError(e.message, e.where or f"experiment {node.name}") from None
    except USER_ERRORS as e:
        raise BuildError(f"{type(e).__name__}: {e}", f"experiment {node.name}") from None
    except Exception as e:
        e.add_note(f"in experiment {node.name}")
        setattr(e, "bug_in", node.name)  # cli.main names the experiment and keeps the traceback
        raise
    seconds = time.perf_counter() - t0
    bad = nonfinite(values)
    if bad:
        raise BuildError(f"the result has NaN or infinite values ({bad}), which are never cached. Fix: look at this "
                         "experiment's parameters for a value too large for the arithmetic (a guidance scale, a "
                         "learning rate), and at its upstream results", f"experiment {node.name}")
    where = node.exp.source_file
    extra = {k: v for r in env.used_by(node.exp) for k, v in r.provenance().items()}
    prov = provenance(str(ctx.device), seconds, precision=ctx.precision, **extra)
    node.entry = store.write(node.name, node.key, node.ingredients, prov,
                             lambda folder: artifacts.save_all(values, node.exp.artifacts, folder, where),
                             replace=node.status == "forced")
    node.seconds, node.device, node.host, node.ran = seconds, regime_text(prov), prov["host"], True
    if ctx.work_dir.exists():
        import shutil

        shutil.rmtree(ctx.work_dir, ignore_errors=True)


def upstream_entries(node: Node, by_name: dict[str, Node]) -> dict[str, Entry]:
    """The entries of ``node``'s upstream results, each stored by now (the plan runs upstream first)."""
    out = {}
    for u in node.upstream:
        entry = by_name[u].entry
        if entry is None:
            raise RuntimeError(f"upstream result {u} of {node.name} has no entry: it should have run first")
        out[u] = entry
    return out


def execute(nodes: list[Node], env: Environment, store) -> None:
    """Run every node that is not fresh, upstream first, one after another in this process."""
    todo = [n for n in nodes if n.status != "fresh"]
    check_frozen(todo, env.opts)
    by_name = {n.name: n for n in nodes}
    for node in todo:
        tqdm.write(f"run {node.name} ({node.reason})")
        run_node(node, upstream_entries(node, by_name), env, store)
