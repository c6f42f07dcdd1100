"""Writing an experiment's returned values as plain files (never pickles).

``run`` returns ``{name: value}``; ``ARTIFACTS`` declares each name's kind:

* checkpoint: ``dict[str, Tensor]``, or a ``Checkpoint`` (tensors and the model's config, stored in the
  file's metadata as nanoGPT stores its config with its weights) -> ``name.safetensors``
* metrics, table: JSON-ready dict or list -> ``name.json``
* image: a PIL image -> ``name.png``
* trajectory, plot, comparison: a ``generator.media`` object (demo: ``models.onnx_export.BrowserModel``) with
  ``save_to(folder, name) -> (files, meta)``
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError


@dataclass
class Checkpoint:
    """Weights with what it takes to build their network again (``config``: JSON-ready), so a model is
    made from a result's weights alone (``results.Result.config``), never from the experiment's code."""

    tensors: dict
    config: dict


def save(value: Any, kind: str, name: str, folder: Path, where: str) -> dict:
    files: dict[str, str]
    meta: dict = {}
    if kind == "checkpoint":
        from safetensors.torch import save_file

        config = value.config if isinstance(value, Checkpoint) else None
        tensors = value.tensors if isinstance(value, Checkpoint) else value
        if not isinstance(tensors, dict):
            raise BuildError(f"artifact '{name}' (checkpoint) must be a dict of tensors or a Checkpoint", where)
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / f"{name}.safetensors"),
                  metadata={"config": json.dumps(config, sort_keys=True)} if config is not None else None)
        files = {"main": f"{name}.safetensors"}
    elif kind in ("metrics", "table"):
        (folder / f"{name}.json").write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
        files = {"main": f"{name}.json"}
    elif hasattr(value, "save_to"):
        files, meta = value.save_to(folder, name)
    elif kind == "image" and hasattr(value, "save"):
        value.save(folder / f"{name}.png", optimize=True)
        files = {"main": f"{name}.png"}
        meta = {"width": value.width, "height": value.height}
    else:
        raise BuildError(f"artifact '{name}' declared as {kind} but run returned {type(value).__name__}", where)
    return {"kind": kind, "files": files, "meta": meta}


def save_all(values: dict, declared: dict[str, str], folder: Path, where: str) -> dict:
    missing = set(declared) - set(values)
    extra = set(values) - set(declared)
    if missing or extra:
        raise BuildError(f"run returned artifacts {sorted(values)}, ARTIFACTS declares {sorted(declared)}", where)
    return {name: save(values[name], declared[name], name, folder, where) for name in declared}
