"""Writing an experiment's returned values as plain files (never pickles).

``run`` returns ``{name: value}``; ``ARTIFACTS`` declares each name's kind:

* checkpoint: ``dict[str, Tensor]`` -> ``name.safetensors``
* metrics, table: JSON-ready dict or list -> ``name.json``
* image: a PIL image -> ``name.png``
* trajectory, plot, comparison: a ``generator.media`` object (demo: ``models.onnx_export.BrowserModel``) with
  ``save_to(folder, name) -> (files, meta)``
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import BuildError


def save(value: Any, kind: str, name: str, folder: Path, where: str) -> dict:
    files: dict[str, str]
    meta: dict = {}
    if kind == "checkpoint":
        from safetensors.torch import save_file

        if not isinstance(value, dict):
            raise BuildError(f"artifact '{name}' (checkpoint) must be a dict of tensors", where)
        save_file({k: v.contiguous() for k, v in value.items()}, str(folder / f"{name}.safetensors"))
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
