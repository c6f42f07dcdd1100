"""What an experiment reads of an upstream result: its parameters, JSON artifacts and tensors.

Every value an experiment takes from an earlier result passes through here, so every key covers
this module (``generator/engine/keys.py``); the build engine hands over ``Result`` objects built
from entries it has verified, and never reads a value itself.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

class Result:
    """One cached result, verified by the store: ``path`` is its folder, ``manifest`` its record."""

    def __init__(self, path: Path, manifest: dict):
        self.path = path
        self.manifest = manifest

    @property
    def key(self) -> str:
        return self.manifest["key"]

    @property
    def name(self) -> str:
        return self.manifest["ingredients"]["name"]

    def params(self, params_cls: type) -> Any:
        """The parameters this result was computed with, as ``params_cls`` (typed and checked again):
        a results experiment reads its training's hyperparameters from here, never copies them. Code
        below the experiments (``models/``) reads a checkpoint's ``config`` instead."""
        from .params import resolve

        return resolve(params_cls, self.manifest["ingredients"]["params"], self.name)

    def file(self, name: str, role: str = "main") -> Path:
        return self.path / self.manifest["artifacts"][name]["files"][role]

    def json(self, name: str) -> Any:
        return json.loads(self.file(name).read_text())

    def config(self, name: str) -> dict:
        """The model config stored with a checkpoint artifact (``artifacts.Checkpoint``)."""
        from safetensors import safe_open

        with safe_open(str(self.file(name)), "pt") as f:
            meta = f.metadata() or {}
        if "config" not in meta:
            raise KeyError(f"the checkpoint '{name}' of {self.name} stores no model config")
        return json.loads(meta["config"])

    def tensors(self, name: str) -> dict:
        from safetensors.torch import load_file

        return load_file(str(self.file(name)))
